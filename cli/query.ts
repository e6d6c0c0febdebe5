// `boitata query "SELECT ..."`: SQL on whichever warehouse the processor is configured for, printed as a table.
import { ConfigError, parseConfig } from '../processor/config.ts';
import { createWarehouse } from '../processor/warehouse/create-warehouse.ts';
import { table, type Output } from './output.ts';

/** Longest cell shown in text mode; --json prints every value whole. */
const MAX_CELL = 80;

export async function runQuery(sql: string, out: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (sql.trim() === '') {
    process.stderr.write('boitata: query needs the SQL to run, e.g. boitata query "SELECT * FROM tenant_demo.events"\n');
    return 2;
  }
  let config;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`boitata: ${error.message}\n`);
    return 2;
  }
  // A reader of the DuckDB file, not a writer: the processor may hold it, and the CLI never changes it.
  const { warehouse, description } = createWarehouse(config, { readOnly: true });
  try {
    const result = await warehouse.query(sql);
    const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((name, i) => [name, row[i]])));
    out.print(rows, () => {
      const shown = rows.map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, display(value)])));
      return `${table(shown, result.columns)}\n(${rows.length} row${rows.length === 1 ? '' : 's'} from ${description})`;
    });
    return 0;
  } catch (error) {
    process.stderr.write(`boitata: query failed on ${description}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await warehouse.close();
  }
}

function display(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}
