/*
 * Translates the subset of PostgREST's URL grammar that postgrest-js sends for the catalog's calls into
 * parameterised SQL: select=, order=, limit=, column filters (eq, neq, lt, lte, gt, gte, like, ilike, is,
 * in, with `not.`), and or=/and= logic trees. Every column is checked against the table's real columns before it is
 * quoted, and every value becomes a `$n` parameter, so no test can inject SQL through the fake.
 * Anything outside the subset is refused with PostgREST's parse error rather than guessed at.
 */

/** An answer PostgREST would give: its HTTP status and `{ code, details, hint, message }` body. */
export class RestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string | null;
  readonly hint: string | null;

  constructor(status: number, code: string, message: string, details: string | null = null, hint: string | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.hint = hint;
  }

  body(): { code: string; details: string | null; hint: string | null; message: string } {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

export interface TableSchema {
  name: string;
  columns: ReadonlySet<string>;
}

/** Collects values and hands out their placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const parseError = (message: string, details: string | null = null) => new RestError(400, 'PGRST100', message, details);
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A column used in a filter, select or order: unknown ones fail as Postgres would (42703). */
export function column(table: TableSchema, name: string): string {
  if (!table.columns.has(name)) throw new RestError(400, '42703', `column ${table.name}.${name} does not exist`);
  return quote(name);
}

/** A column named by a request body or `columns=`: PostgREST checks these against its schema cache. */
export function bodyColumn(table: TableSchema, name: string): string {
  if (!table.columns.has(name)) {
    throw new RestError(400, 'PGRST204', `Could not find the '${name}' column of '${table.name}' in the schema cache`);
  }
  return quote(name);
}

export function tableName(table: TableSchema): string {
  return `public.${quote(table.name)}`;
}

export function selectList(table: TableSchema, select: string | null): string {
  if (select === null || select === '*') return '*';
  return select.split(',').map((item) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(item)) throw parseError('"failed to parse select parameter"', `unsupported by the fake: ${item}`);
    return column(table, item);
  }).join(', ');
}

export function orderClause(table: TableSchema, order: string | null): string {
  if (order === null) return '';
  const terms = order.split(',').map((term) => {
    const [name = '', ...modifiers] = term.split('.');
    const sql = [column(table, name)];
    for (const modifier of modifiers) {
      const keyword = { asc: 'asc', desc: 'desc', nullsfirst: 'nulls first', nullslast: 'nulls last' }[modifier];
      if (keyword === undefined) throw parseError('"failed to parse order"', `unexpected ${modifier}`);
      sql.push(keyword);
    }
    return sql.join(' ');
  });
  return ` order by ${terms.join(', ')}`;
}

export function limitClause(query: URLSearchParams, params: Params): string {
  let sql = '';
  for (const key of ['limit', 'offset'] as const) {
    const value = query.get(key);
    if (value === null) continue;
    if (!/^\d+$/.test(value)) throw parseError(`"failed to parse ${key}"`);
    sql += ` ${key} ${params.add(Number(value))}`;
  }
  return sql;
}

const NOT_FILTERS = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns']);

/** Every filter of the query string, joined with AND as PostgREST does. */
export function whereClause(table: TableSchema, query: URLSearchParams, params: Params): string {
  const parts: string[] = [];
  for (const [key, value] of query) {
    if (NOT_FILTERS.has(key)) continue;
    if (key === 'or' || key === 'and') {
      const parser = new TreeParser(value, table, params);
      parts.push(parser.group(key));
      parser.end();
      continue;
    }
    const negate = value.startsWith('not.');
    const rest = negate ? value.slice(4) : value;
    const dot = rest.indexOf('.');
    if (dot < 0) throw parseError('"failed to parse filter"', `${key}=${value}`);
    const op = rest.slice(0, dot);
    // Outside logic trees PostgREST takes the rest of a scalar value verbatim, quotes included.
    const operand = op === 'in' ? new TreeParser(rest.slice(dot + 1), table, params).wholeList() : rest.slice(dot + 1);
    parts.push(condition(column(table, key), op, operand, negate, params));
  }
  return parts.length === 0 ? 'true' : parts.join(' and ');
}

const COMPARISONS: Record<string, string> = { eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' };
const IS_VALUES: Record<string, string> = { null: 'null', true: 'true', false: 'false', unknown: 'unknown', not_null: 'not null' };

function condition(col: string, op: string, operand: string | string[], negate: boolean, params: Params): string {
  let sql: string;
  const symbol = COMPARISONS[op];
  if (symbol !== undefined && typeof operand === 'string') {
    // Untyped parameters, like PostgREST's unknown literals: Postgres casts them to the column's type.
    sql = `${col} ${symbol} ${params.add(operand)}`;
  } else if ((op === 'like' || op === 'ilike') && typeof operand === 'string') {
    // PostgREST takes `*` as an alias of `%` in patterns; `_` and a backslash escape keep LIKE's meaning.
    sql = `${col} ${op} ${params.add(operand.replaceAll('*', '%'))}`;
  } else if (op === 'is' && typeof operand === 'string' && IS_VALUES[operand.toLowerCase()] !== undefined) {
    sql = `${col} is ${IS_VALUES[operand.toLowerCase()]}`;
  } else if (op === 'in' && Array.isArray(operand)) {
    sql = operand.length === 0 ? 'false' : `${col} in (${operand.map((v) => params.add(v)).join(', ')})`;
  } else {
    throw parseError('"failed to parse filter"', `operator ${op} is not in the fake's subset`);
  }
  return negate ? `not (${sql})` : sql;
}

/** Recursive descent over `(a.eq.1,and(b.lt."x",or(c.is.null,d.in.(1,2))))`. */
class TreeParser {
  #pos = 0;
  readonly #text: string;
  readonly #table: TableSchema;
  readonly #params: Params;

  constructor(text: string, table: TableSchema, params: Params) {
    this.#text = text;
    this.#table = table;
    this.#params = params;
  }

  group(joiner: 'and' | 'or'): string {
    this.#expect('(');
    const items = [this.#item()];
    while (this.#text[this.#pos] === ',') {
      this.#pos += 1;
      items.push(this.#item());
    }
    this.#expect(')');
    return `(${items.join(` ${joiner} `)})`;
  }

  wholeList(): string[] {
    const list = this.#list();
    this.end();
    return list;
  }

  end(): void {
    if (this.#pos !== this.#text.length) throw parseError('"failed to parse logic tree"', `unexpected "${this.#text.slice(this.#pos)}"`);
  }

  #item(): string {
    const negate = this.#text.startsWith('not.', this.#pos);
    if (negate) this.#pos += 4;
    for (const joiner of ['and', 'or'] as const) {
      if (this.#text.startsWith(`${joiner}(`, this.#pos)) {
        this.#pos += joiner.length;
        const group = this.group(joiner);
        return negate ? `not ${group}` : group;
      }
    }
    if (negate) throw parseError('"failed to parse logic tree"', 'not. is only supported before and(/or( here');
    const name = this.#word();
    let op = this.#word();
    const opNegated = op === 'not';
    if (opNegated) op = this.#word();
    const operand = op === 'in' ? this.#list() : this.#scalar();
    return condition(column(this.#table, name), op, operand, opNegated, this.#params);
  }

  /** Letters up to the next dot, which it consumes. */
  #word(): string {
    const match = /^([a-z_][a-z0-9_]*)\./.exec(this.#text.slice(this.#pos));
    if (match?.[1] === undefined) throw parseError('"failed to parse logic tree"', `at "${this.#text.slice(this.#pos)}"`);
    this.#pos += match[0].length;
    return match[1];
  }

  #scalar(): string {
    if (this.#text[this.#pos] === '"') return this.#quoted();
    const start = this.#pos;
    while (this.#pos < this.#text.length && !',()'.includes(this.#text[this.#pos] ?? '')) this.#pos += 1;
    return this.#text.slice(start, this.#pos);
  }

  #list(): string[] {
    this.#expect('(');
    const values: string[] = [];
    while (this.#text[this.#pos] !== ')') {
      values.push(this.#scalar());
      if (this.#text[this.#pos] === ',') this.#pos += 1;
      else if (this.#text[this.#pos] !== ')') throw parseError('"failed to parse list"', this.#text);
    }
    this.#expect(')');
    return values;
  }

  #quoted(): string {
    let value = '';
    this.#pos += 1;
    while (this.#pos < this.#text.length && this.#text[this.#pos] !== '"') {
      if (this.#text[this.#pos] === '\\') this.#pos += 1;
      value += this.#text[this.#pos] ?? '';
      this.#pos += 1;
    }
    this.#expect('"');
    return value;
  }

  #expect(char: string): void {
    if (this.#text[this.#pos] !== char) throw parseError('"failed to parse logic tree"', `expected ${char} in "${this.#text}"`);
    this.#pos += 1;
  }
}
