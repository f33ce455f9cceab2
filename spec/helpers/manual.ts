/**
 * The package's manual: README.md and the pages of docs/. Specs that hold a refusal stricter than
 * Clerk's to "the words that say why" read it here, so that the text may live on any page.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository root. */
export const ROOT = path.join(__dirname, '..', '..');

/** README.md, then docs/*.md in name order, of the package at `root` (the repository, or an installed copy). */
export function manualFiles(root: string = ROOT): string[] {
  const docs = path.join(root, 'docs');
  const pages = readdirSync(docs)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => path.join(docs, name));
  return [path.join(root, 'README.md'), ...pages];
}

/** The whole manual as one text, pages separated by blank lines. */
export function readManual(root: string = ROOT): string {
  return manualFiles(root)
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n\n');
}

/** The whole manual with every run of whitespace made one space: a phrase may wrap across lines. */
export function readManualNormalised(root: string = ROOT): string {
  return readManual(root).replace(/\s+/g, ' ');
}
