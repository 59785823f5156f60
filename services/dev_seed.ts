/** `deno task dev`: the demo client on an empty database and an admin token on every start. */
import type { AppDeps } from "./types.ts";
import { countClients } from "../db/clients.ts";
import { signAdminToken } from "../core/tokens.ts";
import { createClientAccount } from "./client_accounts.ts";

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
