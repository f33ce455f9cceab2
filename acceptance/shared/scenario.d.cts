import express = require('express');

type Main = typeof import('express-clerk-jwt');

declare function scenario(modules: {
  main: Main;
  guards?: Main;
  core: typeof import('express-clerk-jwt/core');
  testing: typeof import('express-clerk-jwt/testing');
  express: typeof express;
}): Promise<'ok'>;
export = scenario;
