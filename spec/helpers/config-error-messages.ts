/**
 * The startup error messages of lib/: the message templates of every `new ClerkConfigError(…)`, read
 * from the source with the TypeScript parser (no module is loaded), for the troubleshooting page's
 * check. A template's `${…}` interpolations become holes. When an interpolation is a parameter of
 * the enclosing helper (`const fail = (problem) => new ClerkConfigError(`… ${problem}`)`), every
 * call of that helper in the same file gives one message with its argument filled in.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A message: its literal pieces in order (the holes between them are interpolations). */
export interface ConfigErrorMessage {
  readonly file: string;
  readonly line: number;
  readonly pieces: readonly string[];
}

type Piece = string | { readonly hole: string };

/** Each spelling of a message expression (a conditional gives two), as literal pieces and holes. */
function piecesOf(node: ts.Expression): Piece[][] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [[node.text]];
  if (ts.isParenthesizedExpression(node)) return piecesOf(node.expression);
  if (ts.isConditionalExpression(node)) return [...piecesOf(node.whenTrue), ...piecesOf(node.whenFalse)];
  if (ts.isTemplateExpression(node)) {
    let spellings: Piece[][] = [[node.head.text]];
    for (const span of node.templateSpans) {
      const inner =
        ts.isConditionalExpression(span.expression) && isLiteral(span.expression.whenTrue) && isLiteral(span.expression.whenFalse)
          ? piecesOf(span.expression)
          : [[{ hole: span.expression.getText() }]];
      spellings = spellings.flatMap((spelling) => inner.map((alternative) => [...spelling, ...alternative, span.literal.text]));
    }
    return spellings;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const right = piecesOf(node.right);
    return piecesOf(node.left).flatMap((left) => right.map((alternative) => [...left, ...alternative]));
  }
  return [[{ hole: node.getText() }]];
}

const isLiteral = (node: ts.Expression): boolean => ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node);

/** The function (arrow, expression or declaration) around `node`, with the name it is called by. */
function enclosingHelper(node: ts.Node): { name: string; params: string[]; scope: ts.Node } | null {
  for (let at: ts.Node | undefined = node.parent; at !== undefined; at = at.parent) {
    if (ts.isArrowFunction(at) || ts.isFunctionExpression(at) || ts.isFunctionDeclaration(at)) {
      const params = at.parameters.map((parameter) => parameter.name.getText());
      if (ts.isFunctionDeclaration(at) && at.name !== undefined) return { name: at.name.text, params, scope: at.getSourceFile() };
      if (ts.isVariableDeclaration(at.parent) && ts.isIdentifier(at.parent.name)) {
        let scope: ts.Node = at.parent;
        while (!ts.isBlock(scope) && !ts.isSourceFile(scope) && scope.parent !== undefined) scope = scope.parent;
        return { name: at.parent.name.text, params, scope };
      }
      return null;
    }
  }
  return null;
}

/** Calls of `name` in `file`, with their arguments. */
function callsOf(file: ts.Node, name: string): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === name) calls.push(node);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return calls;
}

/** Literal pieces of a template whose holes may be filled with other templates' pieces. */
function flatten(pieces: readonly Piece[]): string[] {
  const out: string[] = [''];
  for (const piece of pieces) {
    if (typeof piece === 'string') out[out.length - 1] += piece;
    else out.push('');
  }
  return out;
}

function messagesOfFile(root: string, relative: string): ConfigErrorMessage[] {
  const text = readFileSync(path.join(root, relative), 'utf8');
  const file = ts.createSourceFile(relative, text, ts.ScriptTarget.Latest, true);
  const messages: ConfigErrorMessage[] = [];
  const at = (node: ts.Node): number => file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'ClerkConfigError' && node.arguments?.[0] !== undefined) {
      const helper = enclosingHelper(node);
      for (const pieces of piecesOf(node.arguments[0])) {
        // A hole filled by the helper's callers with literal text (`fail('is not a URL')`): one message per call.
        const filled = helper === null ? -1 : pieces.findIndex((piece) => typeof piece !== 'string' && helper.params.includes(piece.hole));
        const index = filled < 0 || helper === null ? -1 : helper.params.indexOf((pieces[filled] as { hole: string }).hole);
        const allCalls = helper === null || index < 0 ? [] : callsOf(helper.scope, helper.name);
        const calls = allCalls.filter((call) => call.arguments[index] !== undefined && isLiteral(call.arguments[index]));
        if (calls.length < allCalls.length || calls.length === 0) {
          messages.push({ file: relative, line: at(node), pieces: flatten(pieces) });
        }
        for (const call of calls) {
          for (const argument of piecesOf(call.arguments[index]!)) {
            messages.push({ file: relative, line: at(call), pieces: flatten([...pieces.slice(0, filled), ...argument, ...pieces.slice(filled + 1)]) });
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  const seen = new Set<string>();
  return messages.filter((message) => {
    const key = message.pieces.join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every ClerkConfigError message template under `lib/`. */
export function configErrorMessages(root: string): ConfigErrorMessage[] {
  const files = (readdirSync(path.join(root, 'lib'), { recursive: true }) as string[])
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join('lib', name))
    .sort();
  return files.flatMap((file) => messagesOfFile(root, file));
}

const normalise = (text: string): string => text.replace(/\s+/g, ' ');
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A pattern that matches the message on one line of a page, whatever stands for its holes
 * (`<option>`, an example value…): the literal pieces, whitespace-normalised, in order.
 */
export function messagePattern(message: ConfigErrorMessage): RegExp {
  const pieces = message.pieces.map((piece) => normalise(piece));
  return new RegExp(pieces.map((piece) => escape(piece)).join('[^\\n]*?'));
}

/** Readable form of a message, holes shown as `…`. */
export function messageText(message: ConfigErrorMessage): string {
  return message.pieces.join('…');
}
