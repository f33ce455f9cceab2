import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assertSupportedNode, SUPPORTED_NODE_RANGE, unsupportedNodeMessage } from '../../lib/shared/node-support';
import { thrown } from '../helpers/expect-error';

const sentence = (version: string): string => `express-clerk-jwt supports Node.js 22, 24 and 26 or later (the maintained LTS lines), not Node.js ${version}.`;

describe('the Node.js versions the package supports', () => {
  it('is the range package.json declares in engines', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(SUPPORTED_NODE_RANGE);
    expect(SUPPORTED_NODE_RANGE).toBe('^22.0.0 || ^24.0.0 || >=26.0.0');
  });

  it.each(['22.0.0', '22.11.0', '22.23.5', '24.0.0', '24.22.3', '26.0.0', '26.12.1', '27.0.0', '30.1.2', 'v24.0.0'])('accepts Node.js %s', (version) => {
    expect(unsupportedNodeMessage({ node: version })).toBeNull();
    expect(() => assertSupportedNode({ node: version })).not.toThrow();
  });

  it.each(['16.20.2', '18.0.0', '18.20.8', '20.18.0', '20.19.0', '20.20.2', '21.7.3', '23.11.1', '25.9.0'])(
    'refuses Node.js %s with one sentence naming the supported versions',
    (version) => {
      expect(unsupportedNodeMessage({ node: version })).toBe(sentence(version));
      expect(thrown(Error, () => assertSupportedNode({ node: version })).message).toBe(sentence(version));
    },
  );

  it('refuses a version it cannot read rather than guessing', () => {
    expect(unsupportedNodeMessage({ node: 'unknown' })).toBe(sentence('unknown'));
  });

  it('leaves runtimes other than Node.js alone: engines speaks of Node.js only', () => {
    expect(unsupportedNodeMessage(undefined)).toBeNull();
    expect(unsupportedNodeMessage({})).toBeNull();
    expect(unsupportedNodeMessage({ node: '20.11.1', deno: '2.0.0' })).toBeNull();
    expect(unsupportedNodeMessage({ node: '18.0.0', bun: '1.1.0' })).toBeNull();
  });

  it('checks the running Node.js by default', () => {
    const expected = unsupportedNodeMessage(process.versions);
    if (expected === null) expect(() => assertSupportedNode()).not.toThrow();
    else expect(thrown(Error, () => assertSupportedNode()).message).toBe(expected);
  });
});
