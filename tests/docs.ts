/**
 * The project's Markdown as the tests read it (markdown-it, the CommonMark parser): the files a newcomer reads,
 * their relative links, their headings' anchors as GitHub makes them, and their shell blocks, each with the
 * name of the test scenario that runs it when an HTML comment `<!-- tested: NAME -->` stands right before it.
 */
import fs from 'node:fs';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import { PROJECT_ROOT } from '../bench/launcher';

/** README.md, everything under docs/, and the benchmark's README, as paths relative to the root. */
export function docFiles(): string[] {
  const under = (dir: string): string[] =>
    fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
      const rel = path.join(dir, entry.name);
      return entry.isDirectory() ? under(rel) : entry.name.endsWith('.md') ? [rel] : [];
    });
  return ['README.md', 'bench/README.md', ...under('docs')];
}

const parser = new MarkdownIt({ html: true });
const parsed = new Map<string, Token[]>();

function tokens(file: string): Token[] {
  let found = parsed.get(file);
  if (!found) parsed.set(file, (found = parser.parse(fs.readFileSync(path.resolve(PROJECT_ROOT, file), 'utf8'), {})));
  return found;
}

export interface Link {
  file: string;
  /** 1-based line of the paragraph, table or list item holding it. */
  line: number;
  target: string;
}

/** Every link and image whose target is not a URL with a scheme (http:, mailto:…): what a checkout resolves. */
export function relativeLinks(file: string): Link[] {
  const links: Link[] = [];
  for (const block of tokens(file)) {
    for (const child of block.children ?? []) {
      const target = child.type === 'link_open' ? child.attrGet('href') : child.type === 'image' ? child.attrGet('src') : null;
      if (target !== null && !/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ file, line: (block.map?.[0] ?? 0) + 1, target });
    }
  }
  return links;
}

/** The anchors GitHub gives the file's headings: lower case, punctuation dropped, spaces as '-', repeats numbered. */
export function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const list = tokens(file);
  list.forEach((token, i) => {
    if (token.type !== 'heading_open') return;
    const text = (list[i + 1].children ?? []).filter((c) => c.type === 'text' || c.type === 'code_inline').map((c) => c.content).join('');
    const base = text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  });
  return result;
}

export interface ShellBlock {
  file: string;
  line: number;
  /** The commands, one a line, as written (comments after `#` included). */
  text: string;
  /** The scenario of tests/deployment.test.ts that runs it, from `<!-- tested: NAME -->` right before it. */
  tested: string | undefined;
}

const SHELL = new Set(['sh', 'bash', 'shell', 'console']);

export function shellBlocks(file: string): ShellBlock[] {
  return fencedBlocks(file, SHELL);
}

/** The JavaScript blocks (`js`), with the scenario that runs each, like shell blocks. */
export function scriptBlocks(file: string): ShellBlock[] {
  return fencedBlocks(file, new Set(['js', 'javascript']));
}

function fencedBlocks(file: string, languages: Set<string>): ShellBlock[] {
  const list = tokens(file);
  return list.flatMap((token, i) => {
    if (token.type !== 'fence' || !languages.has(token.info.trim().split(/\s+/)[0])) return [];
    const before = list[i - 1];
    const marker = before?.type === 'html_block' ? /^<!--\s*tested:\s*([\w-]+)\s*-->\s*$/.exec(before.content.trim()) : null;
    return [{ file, line: (token.map?.[0] ?? 0) + 1, text: token.content, tested: marker?.[1] }];
  });
}
