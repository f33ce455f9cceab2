import type express from 'express';

type ExpressFactory = typeof express;

/** Every Express the package claims to support: the oldest and newest of 4.x and 5.x. */
export const EXPRESS_VERSIONS: [string, ExpressFactory][] = [
  'express4-min',
  'express4',
  'express5-min',
  'express',
].map((name) => {
  const factory = require(name) as ExpressFactory;
  const { version } = require(`${name}/package.json`) as { version: string };
  return [`express ${version}`, factory];
});
