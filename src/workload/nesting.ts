// How deeply a JSON or YAML text nests its [ ] and { } collections, found by one scan of the text
// before any parser sees it. Parsers and the code walking what they return recurse once per level,
// so a text nested thousands of levels deep overflowed the stack ("Maximum call stack size
// exceeded", no file, no line); the scan names where the nesting passed the limit instead.

/** Where a text first nests deeper than allowed: 1-based line and column of the opening bracket. */
export interface DeepNesting {
  line: number;
  column: number;
  limit: number;
}

/**
 * The place a text first opens more than `limit` nested collections, or undefined. Quoted
 * strings ("..." and YAML's '...') and YAML comments are skipped; an unquoted YAML scalar with
 * brackets in it may count, which only matters at a depth no spec or trace comes near.
 */
export function findDeepNesting(text: string, limit: number): DeepNesting | undefined {
  // A text shorter than the opening brackets it would need cannot pass the limit.
  if (text.length <= limit) return undefined;
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 /* \n */) {
      line++;
      lineStart = i + 1;
    } else if (c === 34 /* " */) {
      i = endOfString(text, i, 34);
    } else if (c === 39 /* ' */ && !inWord(text, i)) {
      i = endOfString(text, i, 39);
    } else if (c === 35 /* # */ && (i === lineStart || isSpace(text.charCodeAt(i - 1)))) {
      const end = text.indexOf("\n", i);
      i = (end === -1 ? text.length : end) - 1;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return { line, column: i - lineStart + 1, limit };
    } else if ((c === 93 /* ] */ || c === 125) /* } */ && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/** Index of the quote closing the string opened at `start` (backslash escapes in "..."; '' in '...'). */
function endOfString(text: string, start: number, quote: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote === 34 && c === 92 /* \ */) i++;
    else if (c === quote) {
      if (quote === 39 && text.charCodeAt(i + 1) === 39) i++;
      else return i;
    }
  }
  return text.length;
}

/** An apostrophe inside a word (`it's`) does not open a YAML quoted scalar. */
function inWord(text: string, i: number): boolean {
  const before = i > 0 ? text.charCodeAt(i - 1) : 32;
  return !isSpace(before) && before !== 58 /* : */ && before !== 44 /* , */ && before !== 91 && before !== 123 && before !== 45 /* - */;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
