/**
 * Expression text → syntax tree: the tokenizer and Pratt parser of engines/expr/parser.py, rule for rule, so a
 * text the server accepts parses to the same tree here and a text it refuses fails with the same code at the
 * same position. Positions count characters (code points) from 0, as Python counts them.
 */

export const MAX_LENGTH = 4000;
export const MAX_DEPTH = 48;

interface Span {
  start: number;
  end: number;
}
export interface LiteralNode extends Span {
  type: 'literal';
  value: number | string | boolean | null;
}
export interface NameNode extends Span {
  type: 'name';
  path: string[];
}
export interface UnaryNode extends Span {
  type: 'unary';
  op: '-' | 'NOT';
  operand: ExprNode;
}
export interface BinaryNode extends Span {
  type: 'binary';
  op: string; // + - * / & = != < <= > >= AND OR
  left: ExprNode;
  right: ExprNode;
}
export interface InNode extends Span {
  type: 'in';
  subject: ExprNode;
  options: ExprNode[];
  negated: boolean;
}
export interface CallNode extends Span {
  type: 'call';
  name: string; // upper-case
  args: ExprNode[];
}
export interface MemberNode extends Span {
  type: 'member';
  subject: ExprNode;
  name: string;
}
export type ExprNode = LiteralNode | NameNode | UnaryNode | BinaryNode | InNode | CallNode | MemberNode;

// English messages, worded as the server's (engines/expr/errors.py); the UI translates by `code` and `params`.
const MESSAGES: Record<string, string> = {
  expr_syntax: 'expression error at character {column}: expected {expected}, found {found}',
  expr_bad_char: "expression error at character {column}: unexpected '{char}'",
  expr_unclosed_string: 'expression error at character {column}: the text is missing its closing quote',
  expr_too_long: 'the expression is too long (limit {limit} characters)',
  expr_too_deep: 'the expression nests too deeply (limit {limit} levels)',
  expr_unknown_function: 'at character {column}: unknown function {name}',
  expr_unknown_field: 'at character {column}: no field {name}',
  expr_rows_outside_aggregate: "at character {column}: {name} has many rows; use it inside SUM, COUNT, AVG, MIN or MAX",
  expr_aggregate_needs_rows: 'at character {column}: {name} needs a sub-table or many-relation field (such as lines.qty)',
  expr_unsupported: 'at character {column}: this cannot be computed in the browser',
};

/** An expression error: a message code of engines/expr/errors.py, its parameters and the position. */
export class ExprError extends Error {
  readonly code: string;
  readonly position: number;
  readonly params: Record<string, string | number>;

  constructor(code: string, position: number, params: Record<string, string | number> = {}) {
    const all: Record<string, string | number> = { column: position + 1, ...params };
    const template = MESSAGES[code] ?? code;
    super(template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in all ? String(all[key]) : whole)));
    this.name = 'ExprError';
    this.code = code;
    this.position = position;
    this.params = all;
  }
}

// ---- tokenizer ------------------------------------------------------------------------------------------------
// Python's \s and \d are Unicode-aware in str patterns: the same classes, spelled out for JavaScript.
const SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const TOKEN = new RegExp(
  `(?<space>${SPACE}+)` +
    '|(?<number>(?:\\p{Nd}+\\.\\p{Nd}*|\\.\\p{Nd}+|\\p{Nd}+)(?:[eE][+-]?\\p{Nd}+)?)' +
    `|(?<string>'(?:[^'\\\\]|\\\\[\\s\\S]|'')*'|"(?:[^"\\\\]|\\\\[\\s\\S]|"")*")` +
    '|(?<name>[A-Za-z_][A-Za-z0-9_]*)' +
    '|(?<op><=|>=|<>|!=|==|[-+*/&=<>(),.])',
  'uy',
);
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'TRUE', 'FALSE', 'NULL']);
const COMPARISONS = ['=', '==', '!=', '<>', '<', '<=', '>', '>='];
// What the parser hoped for, for messages
const EXPECTED: Record<string, string> = {
  operand: "a value, a field, a function or '('",
  ')': "')'",
  '(': "'('",
  name: 'a field name',
  end: 'the end of the expression',
  number: 'a number of sensible size',
  ', or )': "',' or ')'",
};

interface Token {
  kind: 'number' | 'string' | 'name' | 'keyword' | 'op' | 'end';
  text: string;
  start: number; // in code points
  end: number;
}

/** UTF-16 offsets → code-point offsets (the identity when the text has no characters outside the BMP). */
function codePointCounter(text: string): (index: number) => number {
  if (!/[\uD800-\uDFFF]/.test(text)) return (index) => index;
  const prefix = new Int32Array(text.length + 1);
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    prefix[i] = count;
    const code = text.charCodeAt(i);
    const low = code >= 0xdc00 && code <= 0xdfff;
    const afterHigh = i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff;
    if (!(low && afterHigh)) count++;
  }
  prefix[text.length] = count;
  return (index) => prefix[index];
}

export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function tokenize(text: string): Token[] {
  const at = codePointCounter(text);
  const tokens: Token[] = [];
  let position = 0;
  while (position < text.length) {
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(text);
    if (!match || !match.groups) {
      const char = String.fromCodePoint(text.codePointAt(position)!);
      if (char === "'" || char === '"') throw new ExprError('expr_unclosed_string', at(position));
      throw new ExprError('expr_bad_char', at(position), { char });
    }
    const groups = match.groups;
    const kind = (['space', 'number', 'string', 'name', 'op'] as const).find((k) => groups[k] !== undefined)!;
    const end = position + match[0].length;
    if (kind !== 'space') {
      let word = match[0];
      let tokenKind: Token['kind'] = kind;
      if (kind === 'name' && KEYWORDS.has(word.toUpperCase())) {
        tokenKind = 'keyword';
        word = word.toUpperCase();
      }
      tokens.push({ kind: tokenKind, text: word, start: at(position), end: at(end) });
    }
    position = end;
  }
  const length = at(text.length);
  tokens.push({ kind: 'end', text: '', start: length, end: length });
  return tokens;
}

function unquote(raw: string): string {
  const quote = raw[0];
  const body = raw.slice(1, -1).split(quote + quote).join(quote);
  return body.replace(/\\([\s\S])/gu, (_, char: string) => (char === 'n' ? '\n' : char === 't' ? '\t' : char));
}

/** A number token's text with any Unicode digits as ASCII ones (Python's float() reads them). */
function asciiDigits(text: string): string {
  return text.replace(/\p{Nd}/gu, (digit) => {
    if (digit >= '0' && digit <= '9') return digit;
    let code = digit.codePointAt(0)!;
    let steps = 0;
    while (/\p{Nd}/u.test(String.fromCodePoint(code - 1))) {
      code--;
      steps++;
    }
    return String(steps % 10);
  });
}

// Binding power of infix operators; higher binds tighter.
const INFIX: Record<string, number> = {
  OR: 10, AND: 20, IN: 40, NOT: 40, '&': 50, '+': 60, '-': 60, '*': 70, '/': 70, '.': 90,
  ...Object.fromEntries(COMPARISONS.map((op) => [op, 40])),
};

class Parser {
  private tokens: Token[];
  private index = 0;
  private depth = 0;

  constructor(text: string) {
    if (codePointLength(text) > MAX_LENGTH) throw new ExprError('expr_too_long', 0, { limit: MAX_LENGTH });
    this.tokens = tokenize(text);
  }

  private get token(): Token {
    return this.tokens[this.index];
  }

  private advance(): Token {
    return this.tokens[this.index++];
  }

  private fail(expected: string): never {
    const token = this.token;
    const found = token.kind === 'end' ? 'end of expression' : pyStr(token.text);
    throw new ExprError('expr_syntax', token.start, { expected: EXPECTED[expected], found });
  }

  private expect(text: string): Token {
    if (this.token.text !== text || (this.token.kind !== 'op' && this.token.kind !== 'keyword')) this.fail(text);
    return this.advance();
  }

  parse(): ExprNode {
    const node = this.expression(0);
    if (this.token.kind !== 'end') this.fail('end');
    return node;
  }

  private expression(power: number): ExprNode {
    this.depth++;
    if (this.depth > MAX_DEPTH) throw new ExprError('expr_too_deep', this.token.start, { limit: MAX_DEPTH });
    let left = this.prefix();
    for (;;) {
      const token = this.token;
      const key = token.kind === 'op' || token.kind === 'keyword' ? token.text : null;
      if (key === 'NOT' && this.tokens[this.index + 1].text !== 'IN') break;
      const bp = INFIX[key ?? ''];
      if (bp === undefined || bp <= power) break;
      left = this.infix(left, bp);
    }
    this.depth--;
    return left;
  }

  private prefix(): ExprNode {
    const token = this.advance();
    if (token.kind === 'number') {
      const value = Number(asciiDigits(token.text));
      if (!Number.isFinite(value)) {
        this.index--;
        this.fail('number');
      }
      return { type: 'literal', start: token.start, end: token.end, value };
    }
    if (token.kind === 'string') return { type: 'literal', start: token.start, end: token.end, value: unquote(token.text) };
    if (token.kind === 'keyword' && (token.text === 'TRUE' || token.text === 'FALSE')) {
      return { type: 'literal', start: token.start, end: token.end, value: token.text === 'TRUE' };
    }
    if (token.kind === 'keyword' && token.text === 'NULL') return { type: 'literal', start: token.start, end: token.end, value: null };
    if (token.kind === 'keyword' && ['NOT', 'AND', 'OR'].includes(token.text) && this.token.text === '(') {
      return this.call(token);
    }
    if (token.kind === 'keyword' && token.text === 'NOT') {
      const operand = this.expression(30);
      return { type: 'unary', start: token.start, end: operand.end, op: 'NOT', operand };
    }
    if (token.kind === 'op' && (token.text === '-' || token.text === '+')) {
      const operand = this.expression(80);
      return token.text === '+' ? operand : { type: 'unary', start: token.start, end: operand.end, op: '-', operand };
    }
    if (token.kind === 'op' && token.text === '(') {
      const inner = this.expression(0);
      const close = this.expect(')');
      inner.start = token.start;
      inner.end = close.end;
      return inner;
    }
    if (token.kind === 'name') {
      if (this.token.text === '(' && this.token.kind === 'op') return this.call(token);
      const path = [token.text];
      let end = token.end;
      while (this.token.text === '.' && this.tokens[this.index + 1].kind === 'name') {
        this.advance();
        const part = this.advance();
        path.push(part.text);
        end = part.end;
      }
      return { type: 'name', start: token.start, end, path };
    }
    this.index--;
    return this.fail('operand');
  }

  private call(name: Token): ExprNode {
    this.expect('(');
    const args: ExprNode[] = [];
    if (this.token.text !== ')') {
      for (;;) {
        args.push(this.expression(0));
        if (this.token.text === ',') {
          this.advance();
          continue;
        }
        if (this.token.text !== ')') this.fail(', or )');
        break;
      }
    }
    const close = this.expect(')');
    return { type: 'call', start: name.start, end: close.end, name: name.text.toUpperCase(), args };
  }

  private infix(left: ExprNode, power: number): ExprNode {
    const token = this.advance();
    const op = token.text;
    if (op === '.') {
      if (this.token.kind !== 'name') this.fail('name');
      const part = this.advance();
      return { type: 'member', start: left.start, end: part.end, subject: left, name: part.text };
    }
    if (op === 'IN' || op === 'NOT') {
      const negated = op === 'NOT';
      if (negated) this.expect('IN');
      this.expect('(');
      const options = [this.expression(0)];
      while (this.token.text === ',') {
        this.advance();
        options.push(this.expression(0));
      }
      const close = this.expect(')');
      return { type: 'in', start: left.start, end: close.end, subject: left, options, negated };
    }
    const right = this.expression(power);
    const normal = op === '==' ? '=' : op === '<>' ? '!=' : op;
    return { type: 'binary', start: left.start, end: right.end, op: normal, left, right };
  }
}

/** Python's repr() of a token's text, for messages (the token never holds a line break outside quotes). */
function pyStr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

export function children(node: ExprNode): ExprNode[] {
  switch (node.type) {
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'in':
      return [node.subject, ...node.options];
    case 'call':
      return node.args;
    case 'member':
      return [node.subject];
    default:
      return [];
  }
}

export function* walk(node: ExprNode): Generator<ExprNode> {
  yield node;
  for (const child of children(node)) yield* walk(child);
}

/** The tree, not only the text, must be shallow (a + a + … + a parses in a loop but nests deeply). */
function checkDepth(root: ExprNode): void {
  const stack: [ExprNode, number][] = [[root, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) throw new ExprError('expr_too_deep', node.start, { limit: MAX_DEPTH });
    for (const child of [...children(node)].reverse()) stack.push([child, depth + 1]);
  }
}

export function parse(text: string): ExprNode {
  if (typeof text !== 'string') {
    const kind = typeof text;
    throw new ExprError('expr_syntax', 0, { expected: 'text', found: kind });
  }
  const node = new Parser(text).parse();
  checkDepth(node);
  return node;
}
