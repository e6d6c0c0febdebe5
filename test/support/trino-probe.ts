// Is a Trino ready for the warehouse tests? Loud when not; fatal when BOITATA_REQUIRE_TRINO=1 (CI).
export const TEST_TRINO_URL = process.env['TRINO_URL']?.trim() || 'http://127.0.0.1:8090';

export async function probeTrino(url = TEST_TRINO_URL): Promise<{ ready: boolean; url: string; reason: string }> {
  let reason = '';
  try {
    const response = await fetch(`${url}/v1/info`, { signal: AbortSignal.timeout(3000) });
    const info = (await response.json()) as { starting?: boolean };
    if (response.ok && info.starting === false) return { ready: true, url, reason: '' };
    reason = `Trino at ${url} is still starting`;
  } catch (error) {
    reason = `no Trino at ${url} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message})`;
  }
  if (process.env['BOITATA_REQUIRE_TRINO'] === '1') {
    throw new Error(`BOITATA_REQUIRE_TRINO=1 but ${reason}. Start it with: scripts/trino.sh start`);
  }
  const banner = '!'.repeat(100);
  process.stderr.write(
    `\n${banner}\n!! SKIPPING THE WAREHOUSE TESTS: ${reason}.\n!! Start one with \`scripts/trino.sh start\` (or set TRINO_URL), then run \`npm test\` again.\n${banner}\n\n`,
  );
  return { ready: false, url, reason };
}
