/**
 * The agent-settings rules of the dashboards (E34 settings, E35 config), as a pure function of
 * the current state and the request:
 * - auto-switch and manual-replica mode are mutually exclusive: turning one on turns the other
 *   off; a request with both on turns on the one that was off (a form that resends every
 *   checkbox); both on while neither was on is a 400;
 * - only actual changes are applied (CONTRACT T-27: the admin modal always sends all four keys);
 * - leaving manual-replica mode terminates the agent's manual replicas only, never the emergency
 *   replicas of an interruption in progress (B-14). Nothing else touches replicas.
 */
import { BadRequestError } from "../_errors.ts";
import type { AgentSettingsState, SettingsChanges, SettingsPlan } from "../../db/agent_settings.ts";

/** What a dashboard asked for (absent = leave as is). */
export interface SettingsRequest {
  autoSwitchEnabled?: boolean;
  manualReplicaEnabled?: boolean;
  autoTerminateEnabled?: boolean;
  replicaEnabled?: boolean;
  terminateWaitSeconds?: number;
}

/** Computes the changes and replica side effects of a settings request. */
export function planSettings(current: AgentSettingsState, req: SettingsRequest): SettingsPlan {
  let askAuto = req.autoSwitchEnabled;
  let askManual = req.manualReplicaEnabled;
  if (askAuto === true && askManual === true) {
    // A form that sends every checkbox (the client dashboard's modal, T-26) may leave the old
    // mode ticked: the mode that was off is the one being turned on. Neither on before: ambiguous.
    if (current.autoSwitchEnabled && !current.manualReplicaEnabled) askAuto = undefined;
    else if (current.manualReplicaEnabled && !current.autoSwitchEnabled) askManual = undefined;
    else {
      throw new BadRequestError(
        "Auto-switch and manual replica mode are mutually exclusive: enable only one",
        "modes_mutually_exclusive",
      );
    }
  }
  let autoSwitch = askAuto ?? current.autoSwitchEnabled;
  let manual = askManual ?? current.manualReplicaEnabled;
  if (askAuto === true) manual = false;
  if (askManual === true) autoSwitch = false;

  const changes: SettingsChanges = {};
  if (autoSwitch !== current.autoSwitchEnabled) changes.autoSwitchEnabled = autoSwitch;
  if (manual !== current.manualReplicaEnabled) changes.manualReplicaEnabled = manual;
  if (
    req.autoTerminateEnabled !== undefined &&
    req.autoTerminateEnabled !== current.autoTerminateEnabled
  ) {
    changes.autoTerminateEnabled = req.autoTerminateEnabled;
  }
  if (req.replicaEnabled !== undefined && req.replicaEnabled !== current.replicaEnabled) {
    changes.replicaEnabled = req.replicaEnabled;
  }
  if (
    req.terminateWaitSeconds !== undefined &&
    req.terminateWaitSeconds !== current.terminateWaitSeconds
  ) {
    changes.terminateWaitSeconds = req.terminateWaitSeconds;
  }
  return {
    changes,
    terminateManualReplicas: current.manualReplicaEnabled && !manual,
  };
}
