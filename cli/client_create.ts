/**
 * `deno task client:create --name N [--email E] [--json]`: creates a client and prints its id and
 * token (the only time the token is shown). Without --email a unique placeholder address is stored.
 */
import { parseArgs } from "node:util";
import { DomainError } from "../core/errors.ts";
import { createClientAccount } from "../services/client_accounts.ts";
import { cliActorId, loadCliConfig, openCliDeps, runCli } from "./_env.ts";

const USAGE = "usage: deno task client:create --name <name> [--email <email>] [--json]";

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: "string" },
      email: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const name = values.name?.trim();
  if (!name) {
    console.error(USAGE);
    return 2;
  }
  const deps = await openCliDeps(await loadCliConfig(), "client:create");
  try {
    const { client, token } = await createClientAccount(deps, { name, email: values.email }, {
      type: "cli",
      id: cliActorId(),
    });
    if (values.json) {
      console.log(JSON.stringify({ id: client.id, name: client.name, email: client.email, token }));
    } else {
      console.log(`client created: ${client.name}`);
      console.log(`  id:    ${client.id}`);
      console.log(`  email: ${client.email}`);
      console.log(`  token: ${token}`);
      console.log("The token is shown only now; put it in the agents' agent.env (CLIENT_TOKEN).");
    }
    return 0;
  } catch (err) {
    if (err instanceof DomainError) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await deps.close();
  }
}

if (import.meta.main) await runCli(main, { usage: USAGE });
