import type express from 'express';

type ExpressFactory = typeof express;

/** Every Express the package claims to support: the oldest and newest of 4.x and 5.x. */
export const EXPRESS_VERSIONS: [string, ExpressFactory][] = ['express4-min', 'express4', 'express5-min', 'express'].map((name) => {
  /* eslint-disable @typescript-eslint/no-require-imports -- each installed Express by its npm alias, synchronously: Jest's describe.each needs the list at load time */
  const factory = require(name) as ExpressFactory;
  const { version } = require(`${name}/package.json`) as { version: string };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return [`express ${version}`, factory];
});
