/**
 * Runs the compile-time checks of spec/types/webhook-events.type-test.ts under jest (ts-jest only
 * transpiles, it does not type-check): `ClerkWebhookEvent` must have exactly the event types of
 * `@clerk/backend`'s `WebhookEvent`, accept every payload Clerk's types describe, and declare the
 * fields users read with Clerk's types. Then shows that the checks bite: the same file compiled
 * against altered copies of lib/webhooks/webhook-events.ts fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const TYPE_TEST = path.join(ROOT, 'spec', 'types', 'webhook-events.type-test.ts');
const EVENTS = path.join(ROOT, 'lib', 'webhooks', 'webhook-events.ts');
/** Where the type test declares `name`, as the compiler reports it: by name, so that reformatting the file moves nothing. */
const declaredAt = (name: string): string =>
  `webhook-events.type-test.ts(${
    readFileSync(TYPE_TEST, 'utf8')
      .split('\n')
      .findIndex((line) => line.startsWith(`export type ${name} `)) + 1
  })`;

function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (parsed === undefined) throw new Error('tsconfig.json could not be read');
  // Only what the type test needs: no jest globals to load.
  return { ...parsed.options, noEmit: true, types: ['node'] };
}

let previous: ts.Program | undefined;

/** Diagnostics of compiling the type test, with lib/webhooks/webhook-events.ts replaced by `events` when given. */
function diagnostics(options: ts.CompilerOptions, events?: string): string[] {
  const host = ts.createCompilerHost(options);
  if (events !== undefined) {
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.readFile = (file) => (path.resolve(file) === EVENTS ? events : readFile(file));
    host.getSourceFile = (file, language, onError, create) => (path.resolve(file) === EVENTS ? ts.createSourceFile(file, events, language) : getSourceFile(file, language, onError, create));
  }
  const program = ts.createProgram([TYPE_TEST], options, host, previous);
  previous = program; // unchanged files (Clerk's and Node's declarations) are reused, not parsed again
  const file = program.getSourceFile(TYPE_TEST);
  const found = [
    ...program.getOptionsDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getSemanticDiagnostics(file),
    ...program.getSemanticDiagnostics(program.getSourceFile(EVENTS)),
  ];
  return found.map((diagnostic) => {
    const where = diagnostic.file === undefined ? '' : `${path.relative(ROOT, diagnostic.file.fileName)}(${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}): `;
    return `${where}${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

describe('ClerkWebhookEvent against @clerk/backend WebhookEvent (compile-time)', () => {
  const options = compilerOptions();
  const source = readFileSync(EVENTS, 'utf8');
  const alter = (from: string, to: string): string => {
    expect(source).toContain(from);
    return source.replace(from, to);
  };

  it('agrees: the same 45 event types, every Clerk payload accepted, the fields users read typed alike', () => {
    expect(diagnostics(options)).toEqual([]);
  });

  it.each([
    [
      'an event type missing',
      () => alter("      | 'subscriptionItem.pastDue'\n      | 'subscriptionItem.freeTrialEnding',", "      | 'subscriptionItem.pastDue',"),
      declaredAt('SameTypeNames'),
    ],
    [
      'a field narrower than what Clerk sends',
      () => alter('  first_name: string | null;\n  last_name: string | null;\n  image_url: string;', '  first_name: string;\n  last_name: string | null;\n  image_url: string;'),
      declaredAt('EveryClerkEventIsOurs'),
    ],
    [
      'a field users read left out',
      () => alter("  status: 'accepted';\n  /** The user who accepted it. */\n  user_id: string;", "  status: 'accepted';"),
      declaredAt('InvitationAcceptedFields'),
    ],
  ])('fails to compile with %s', (_, altered, where) => {
    const found = diagnostics(options, altered());
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((line) => line.startsWith(`spec/types/${where}`))).toBe(true);
  });
});
