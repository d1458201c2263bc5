// The browser's mirror of the session: shared/mirror.py without any I/O.
//
// It turns what the person does into frames to send and the frames received into state
// changes; link.js moves the bytes. Every command waits in the outbox until the server
// answers it (its event, or a rejection), so what was done while the Wi-Fi blinked is
// sent again after the rejoin, and a retry is harmless: the server applies an op once.

import { apply } from "./apply.js";

export const TRANSIENT_REASONS = new Set(["storage", "busy"]);

/** The event stream has a gap: rejoin to catch up. */
export class ResyncNeeded extends Error {}

function randomPrefix() {
  // getRandomValues works on plain http (crypto.randomUUID needs a secure context).
  const bytes = new Uint8Array(4);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class Mirror {
  constructor() {
    this.state = null;
    this.me = null;
    this.token = null;
    this.serverOffset = 0; // server clock minus this page's clock, in seconds
    this.outbox = new Map(); // op -> command
    this.nextOp = 1;
    this.prefix = randomPrefix();
  }

  newOp() {
    return `${this.prefix}-${this.nextOp++}`;
  }

  joinFrame({ code = null, name = "", role = "participant" } = {}) {
    return {
      type: "join", code, name, role: role === "viewer" ? "viewer" : "participant",
      token: this.token, since: this.state ? this.state.seq : null,
    };
  }

  /** Queue `command` (given its type and fields) until answered; return the frame. */
  command(command) {
    const frame = { ...command, op: command.op || this.newOp() };
    this.outbox.set(frame.op, frame);
    return frame;
  }

  /** My latest `type` command about `cause` still waiting for its answer (undefined when
   * none): a second tap builds on the first even before the server has answered it. */
  waiting(type, cause) {
    let found;
    for (const command of this.outbox.values()) {
      if (command.type === type && command.cause === cause) found = command;
    }
    return found;
  }

  pendingFrames() {
    return [...this.outbox.values()];
  }

  /** Take one decoded frame; returns {frame, applied, freshState, rejected}. */
  receive(frame, localTime) {
    const result = { frame, applied: [], freshState: false, rejected: null };
    switch (frame.type) {
      case "welcome":
        this.me = frame.you;
        this.token = frame.token;
        this.serverOffset = frame.server_time - localTime;
        if (frame.state !== null) {
          this.state = frame.state;
          result.freshState = true;
        } else if (this.state === null) {
          throw new ResyncNeeded("the server resumed a session this page never had");
        }
        break;
      case "event": {
        if (frame.op !== null) this.outbox.delete(frame.op);
        if (this.state === null || frame.seq <= this.state.seq) break;
        if (frame.seq !== this.state.seq + 1) {
          throw new ResyncNeeded(`expected event ${this.state.seq + 1}, got ${frame.seq}`);
        }
        apply(this.state, frame);
        result.applied.push(frame);
        if (this.me !== null && this.me.id in this.state.people) {
          this.me = this.state.people[this.me.id];
        }
        break;
      }
      case "rejected":
        if (!TRANSIENT_REASONS.has(frame.reason)) this.outbox.delete(frame.op);
        result.rejected = frame;
        break;
      default:
        break;
    }
    return result;
  }
}
