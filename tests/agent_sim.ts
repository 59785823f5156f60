/**
 * A simulated agent v4.0.0 that speaks exactly the payloads of CONTRACT.md section 2 (register,
 * heartbeat incl. the shutdown beat, config, pending-commands, executed, pricing-report,
 * switch-report, cleanup-report, termination-imminent, rebalance-recommendation). It talks to
 * `app.request` in tests or to a real URL (the load benchmark) through an injected fetch, and it
 * sends what the real agent sends: a Bearer token and `Content-Type: application/json` on every
 * request, Python-style timestamps (microseconds + `Z` in switch timing, naive UTC elsewhere).
 * @module
 */

/** How the simulator reaches the server: a path (`/api/...`) and a RequestInit. */
export type SimTransport = (path: string, init: RequestInit) => Promise<Response> | Response;

/** One answer as the agent sees it (it only checks 2xx and parses JSON). */
export interface SimResponse<T = unknown> {
  status: number;
  ok: boolean;
  body: T | null;
  /** Wall time of the call in milliseconds. */
  ms: number;
}

/** What one simulated instance looks like from IMDS and its .env. */
export interface SimInstance {
  instanceId: string;
  instanceType: string;
  az: string;
  mode: "spot" | "ondemand";
  region?: string;
  amiId?: string | null;
  privateIp?: string | null;
  /** `null` when the instance has no public IP (T-01). */
  publicIp?: string | null;
  hostname?: string;
}

/** Options of a simulated agent. */
export interface SimOptions extends SimInstance {
  transport: SimTransport;
  token: string;
  /** LOGICAL_AGENT_ID; empty means the installer default (the instance id). */
  logicalAgentId?: string;
  /** The clock stamping reports (defaults to the real time). */
  now?: () => Date;
  agentVersion?: string;
}

/** A spot pool as the agent reports it. */
export interface SimPool {
  pool_id: string;
  instance_type: string;
  az: string;
  price: number;
}

/** A command as pending-commands returns it. */
export interface SimCommand {
  id: string;
  target_mode: "spot" | "ondemand";
  target_pool_id: string | null;
  priority: number;
  [k: string]: unknown;
}

/** Python `datetime.utcnow().isoformat()` (naive, microseconds). */
export function naiveIso(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000");
}

/** Python `datetime.utcnow().isoformat() + 'Z'` (microseconds and Z), as in switch timing. */
export function microIso(d: Date): string {
  return `${naiveIso(d)}Z`;
}

/** A simulated agent process on one instance. */
export class AgentSim {
  agentId: string | null = null;
  enabled = false;
  readonly opts: SimOptions;

  constructor(opts: SimOptions) {
    this.opts = { region: "us-east-1", agentVersion: "4.0.0", ...opts };
  }

  /** A simulator driving a Hono app in-process. */
  static forApp(
    app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
    opts: Omit<SimOptions, "transport">,
  ): AgentSim {
    return new AgentSim({ ...opts, transport: (path, init) => app.request(path, init) });
  }

  /**
   * Agent `web-<n>` of `token` on an on-demand t3.medium in us-east-1a, instance
   * `i-0<tag>00000000<n>`, driving `app` in-process with the test clock `now`.
   */
  static webAgent(
    app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
    opts: { token: string; n: number; tag: string; now: () => Date },
  ): AgentSim {
    return AgentSim.forApp(app, {
      token: opts.token,
      logicalAgentId: `web-${opts.n}`,
      instanceId: `i-0${opts.tag}00000000${opts.n}`,
      instanceType: "t3.medium",
      az: "us-east-1a",
      mode: "ondemand",
      now: opts.now,
    });
  }

  /** A simulator talking to a server URL with the given fetch. */
  static forUrl(
    baseUrl: string,
    opts: Omit<SimOptions, "transport">,
    fetchFn: typeof fetch = fetch,
  ): AgentSim {
    const base = baseUrl.replace(/\/+$/, "");
    return new AgentSim({ ...opts, transport: (path, init) => fetchFn(`${base}${path}`, init) });
  }

  /** The agent started on the instance a switch launched: same token and logical id. */
  successor(instance: Partial<SimInstance> & { instanceId: string }): AgentSim {
    const next = new AgentSim({ ...this.opts, ...instance });
    return next;
  }

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }

  private get poolId(): string | null {
    return this.opts.mode === "spot" ? `${this.opts.instanceType}.${this.opts.az}` : null;
  }

  /** Sends one request the way the agent does and reads the JSON answer. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<SimResponse<T>> {
    const started = performance.now();
    const res = await this.opts.transport(path, {
      method,
      headers: {
        "Authorization": `Bearer ${this.opts.token}`,
        "Content-Type": "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: T | null = null;
    if (text !== "") {
      try {
        parsed = JSON.parse(text) as T;
      } catch {
        parsed = null; // a non-JSON 2xx body is a failure for the agent (T-16)
      }
    }
    return { status: res.status, ok: res.ok, body: parsed, ms: performance.now() - started };
  }

  private agentPath(suffix: string): string {
    if (!this.agentId) throw new Error("the simulated agent is not registered");
    return `/api/agents/${this.agentId}/${suffix}`;
  }

  /** E01: the registration payload; stores agent_id and config.enabled like the agent. */
  async register(): Promise<
    SimResponse<{ agent_id: string; client_id: string; config: Record<string, unknown> }>
  > {
    const o = this.opts;
    const r = await this.call<
      { agent_id: string; client_id: string; config: Record<string, unknown> }
    >(
      "POST",
      "/api/agents/register",
      {
        client_token: o.token,
        logical_agent_id: o.logicalAgentId || o.instanceId,
        instance_id: o.instanceId,
        instance_type: o.instanceType,
        region: o.region,
        az: o.az,
        ami_id: o.amiId === undefined ? "ami-0abc1234" : (o.amiId ?? "unknown"),
        mode: o.mode,
        hostname: o.hostname ?? `ip-10-0-0-${o.instanceId.length}`,
        agent_version: o.agentVersion,
        private_ip: o.privateIp === undefined ? "10.0.0.10" : (o.privateIp ?? "unknown"),
        public_ip: o.publicIp === undefined ? null : o.publicIp,
      },
    );
    if (r.ok && r.body?.agent_id) {
      this.agentId = r.body.agent_id;
      this.enabled = r.body.config?.enabled === true;
    }
    return r;
  }

  /** E02: the periodic beat (`online`, or `disabled` while the server says enabled:false). */
  heartbeat(status?: "online" | "disabled" | "offline"): Promise<SimResponse> {
    const o = this.opts;
    return this.call("POST", this.agentPath("heartbeat"), {
      status: status ?? (this.enabled ? "online" : "disabled"),
      monitored_instances: [o.instanceId],
      instance_id: o.instanceId,
      instance_type: o.instanceType,
      mode: o.mode,
      az: o.az,
    });
  }

  /** E02: the final beat at shutdown (no instance_id, T-09). */
  shutdownBeat(): Promise<SimResponse> {
    return this.call("POST", this.agentPath("heartbeat"), {
      status: "offline",
      monitored_instances: [],
    });
  }

  /** E03: reads `enabled` like the agent. */
  async config(): Promise<SimResponse<Record<string, unknown>>> {
    const r = await this.call<Record<string, unknown>>("GET", this.agentPath("config"));
    if (r.ok && r.body && typeof r.body.enabled === "boolean") this.enabled = r.body.enabled;
    return r;
  }

  /** E04: the poll; accepts the array or the wrapped forms like the agent. */
  async pendingCommands(): Promise<SimResponse<SimCommand[]>> {
    const r = await this.call<unknown>("GET", this.agentPath("pending-commands"));
    const b = r.body as Record<string, unknown> | unknown[] | null;
    const list = Array.isArray(b)
      ? b
      : (b?.commands ?? b?.pending_commands ?? b?.data ?? []) as unknown[];
    const valid = list.filter((c): c is SimCommand =>
      typeof c === "object" && c !== null && typeof (c as SimCommand).id === "string" &&
      ((c as SimCommand).target_mode === "spot" || (c as SimCommand).target_mode === "ondemand")
    );
    return { ...r, body: r.ok ? valid : null };
  }

  /** E05: after the switch routine returned. */
  executed(commandId: string, success = true): Promise<SimResponse> {
    return this.call("POST", this.agentPath(`commands/${commandId}/executed`), {
      success,
      message: success ? "Switch completed" : "Switch failed",
    });
  }

  /** E06: the v4 pricing report with its spot pools. */
  pricingReport(
    opts: { onDemand: number; pools: SimPool[]; currentSpot?: number | null },
  ): Promise<SimResponse> {
    const o = this.opts;
    const cheapest = [...opts.pools].sort((a, b) => a.price - b.price)[0];
    const spot = o.mode === "spot";
    return this.call("POST", this.agentPath("pricing-report"), {
      instance: {
        instance_id: o.instanceId,
        instance_type: o.instanceType,
        region: o.region,
        az: o.az,
        mode: o.mode,
        pool_id: this.poolId,
      },
      pricing: {
        on_demand_price: opts.onDemand,
        current_spot_price: spot
          ? (opts.currentSpot ?? opts.pools.find((p) => p.pool_id === this.poolId)?.price ?? null)
          : null,
        cheapest_pool: spot && cheapest
          ? { pool_id: cheapest.pool_id, price: cheapest.price }
          : null,
        spot_pools: opts.pools,
        collected_at: naiveIso(this.now()),
      },
    });
  }

  /**
   * E07: the report the old agent sends at the end of `execute_switch` (no command_id, `prices`,
   * agent timing keys with microseconds and Z).
   */
  switchReport(opts: {
    command: SimCommand;
    newInstance: SimInstance;
    prices: { on_demand: number; old_spot?: number | null; new_spot?: number | null };
    timing: {
      initiated: Date;
      amiCreated: Date;
      launched: Date;
      ready: Date;
      trafficSwitched: Date;
      oldTerminated: Date | null;
    };
    snapshot?: { ami_id: string; ami_name: string } | null;
  }): Promise<SimResponse> {
    const o = this.opts;
    const n = opts.newInstance;
    const t = opts.timing;
    return this.call("POST", this.agentPath("switch-report"), {
      old_instance: {
        instance_id: o.instanceId,
        instance_type: o.instanceType,
        region: o.region,
        az: o.az,
        ami_id: o.amiId ?? "ami-0abc1234",
        mode: o.mode,
        pool_id: this.poolId,
      },
      new_instance: {
        instance_id: n.instanceId,
        instance_type: n.instanceType,
        region: n.region ?? o.region,
        az: n.az,
        ami_id: opts.snapshot?.ami_id ?? n.amiId ?? null,
        mode: opts.command.target_mode,
        pool_id: opts.command.target_pool_id,
      },
      snapshot: opts.snapshot ? { used: true, ...opts.snapshot } : { used: false },
      prices: opts.prices,
      timing: {
        switch_initiated_at: microIso(t.initiated),
        snapshot_created_at: null,
        ami_created_at: microIso(t.amiCreated),
        new_instance_launched_at: microIso(t.launched),
        new_instance_ready_at: microIso(t.ready),
        traffic_switched_at: microIso(t.trafficSwitched),
        old_instance_terminated_at: t.oldTerminated ? microIso(t.oldTerminated) : null,
      },
      trigger: opts.command.priority >= 50 ? "manual" : "model",
    });
  }

  /** E10: the hourly cleanup report. */
  cleanupReport(opts: {
    deletedSnapshots: string[];
    deletedAmis: string[];
    failed?: { id: string; error: string }[];
    snapshotCutoff: Date;
    amiCutoff: Date;
  }): Promise<SimResponse> {
    return this.call("POST", this.agentPath("cleanup-report"), {
      timestamp: naiveIso(this.now()),
      snapshots: {
        type: "snapshots",
        deleted: opts.deletedSnapshots,
        failed: opts.failed ?? [],
        cutoff_date: naiveIso(opts.snapshotCutoff),
      },
      amis: {
        type: "amis",
        deleted_amis: opts.deletedAmis,
        deleted_snapshots: [],
        failed: [],
        cutoff_date: naiveIso(opts.amiCutoff),
      },
    });
  }

  /** E08: sent every 5 s while the IMDS spot/instance-action document exists. */
  terminationImminent(terminationTime: Date): Promise<SimResponse<Record<string, unknown>>> {
    return this.call("POST", this.agentPath("termination-imminent"), {
      instance_id: this.opts.instanceId,
      termination_time: terminationTime.toISOString().replace(/\.\d{3}Z$/, "Z"),
      detected_at: naiveIso(this.now()),
    });
  }

  /** E09: sent every 30 s while a rebalance recommendation exists. */
  rebalanceRecommendation(): Promise<SimResponse<Record<string, unknown>>> {
    return this.call("POST", this.agentPath("rebalance-recommendation"), {
      instance_id: this.opts.instanceId,
      detected_at: naiveIso(this.now()),
    });
  }
}
