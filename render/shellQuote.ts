/**
 * The one way a value reaches a shell command line: single-quoted for bash, so that no byte of it
 * (quotes, `$`, backquotes, `;`, newlines) is ever read as shell syntax.
 */

/**
 * Single-quotes `value` for bash: `'` becomes `'\''`; every other byte stays literal.
 * @throws Error on a NUL byte, which no shell word can hold.
 * @example shellQuote("it's") === `'it'\\''s'`
 */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new Error(`a shell word cannot hold a NUL byte: ${JSON.stringify(value)}`);
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
