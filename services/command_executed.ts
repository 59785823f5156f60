/**
 * E05 executed: the agent reports the outcome of a switch command. Closes the command when it is
 * still open; a retry, or a command already closed by the registration or the switch report, is
 * fine; an unknown or foreign id is NotFound.
 */
import { NotFound } from "../core/errors.ts";
import { completeCommand, findCommandForAgent } from "../db/commands.ts";
import type { AppDeps } from "./types.ts";

/** Records one executed report (one transaction, plus one read when nothing was open). */
export async function recordCommandExecuted(
  deps: AppDeps,
  opts: { clientId: string; agentId: string; commandId: string; success: boolean; message: string },
): Promise<void> {
  const { db, clock } = deps;
  const { clientId, agentId, commandId, success, message } = opts;
  const closed = await db.transaction((tx) =>
    completeCommand(tx, {
      commandId,
      agentId,
      clientId,
      success,
      message,
      source: "executed",
      now: clock(),
    })
  );
  if (closed) return;
  const existing = await findCommandForAgent(db, { clientId, agentId, commandId });
  if (!existing) throw new NotFound("Command not found", "command_not_found");
}
