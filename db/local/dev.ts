/** Development conveniences: persistent local secrets (the demo client: services/dev_seed.ts). */

function randomSecret(bytes = 32): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Signing key and admin token for local development, created once under `dir`. */
export async function devSecrets(dir: string): Promise<Record<string, string>> {
  const path = `${dir}/dev_secrets.json`;
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    await Deno.mkdir(dir, { recursive: true });
    const secrets = {
      TOKEN_SIGNING_KEYS: `dev1:${randomSecret()}`,
      ADMIN_TOKEN: `adm_${randomSecret(24)}`,
    };
    await Deno.writeTextFile(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    return secrets;
  }
}
