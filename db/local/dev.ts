/** Development conveniences: persistent local secrets and a demo client. */
import type { AppDeps } from "../../routes/_app.ts";
import { countClients } from "../clients.ts";
import { signAdminToken } from "../../core/tokens.ts";
import { createClientAccount } from "../../services/client_accounts.ts";

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

/**
 * Creates the demo client on an empty database and prints its token (only then: tokens are not
 * stored), and on every start an admin token for the local admin dashboard or curl.
 */
export async function seedDemo(deps: AppDeps): Promise<void> {
  const { db, services, clock } = deps;
  if (await countClients(db) > 0) {
    console.log(
      "demo: clients exist (their tokens were shown when created; regenerate with the admin token, or `deno task client:create --name N`)",
    );
  } else {
    const { client, token } = await createClientAccount(
      deps,
      { name: "Demo Client", email: "demo@example.com" },
      { type: "system", id: "dev-seed" },
    );
    console.log(`demo client created: id=${client.id}`);
    console.log(`demo client token (shown once): ${token}`);
  }
  const admin = await signAdminToken(services.keys, {
    subject: "dev-admin",
    now: clock(),
    ttlSeconds: deps.config.ADMIN_TOKEN_TTL,
  });
  console.log(`admin token (expires in ${deps.config.ADMIN_TOKEN_TTL} s): ${admin}`);
}
