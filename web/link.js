// The websocket to the host: connect, rejoin after any drop, and hand frames over.
//
// A phone sleeps, the Wi-Fi blinks: the link comes back by itself (sooner when the page
// is shown again or the network returns) and rejoins with the token and the last event
// seen, so the person resumes as themselves and nothing is lost.

const FATAL = new Set(["wrong_code", "throttled", "locked", "removed", "full"]);

export class Link {
  constructor({ onOpen, onFrame, onStatus, onFatal }) {
    this.onOpen = onOpen; // () => void: send the join
    this.onFrame = onFrame; // (frame) => void
    this.onStatus = onStatus; // ("connecting" | "connected" | "waiting") => void
    this.onFatal = onFatal; // (errorFrame) => void
    this.ws = null;
    this.wait = 500;
    this.timer = null;
    this.stopped = true;
    const soon = () => this.reconnectNow();
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") soon();
    });
    window.addEventListener("online", soon);
  }

  url() {
    return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }

  connected() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.onStatus("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.onOpen();
    };
    ws.onmessage = (message) => {
      if (this.ws !== ws || typeof message.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === "welcome") {
        this.wait = 500;
        this.onStatus("connected");
      }
      if (frame.type === "error" && FATAL.has(frame.code)) {
        this.stopped = true;
        this.onFatal(frame);
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.onStatus("waiting");
      this.timer = setTimeout(() => this.connect(), this.wait);
      this.wait = Math.min(this.wait * 2, 5000);
    };
  }

  /** Connect now rather than after the back-off (the page is shown again, the network
   *  is back); nothing to do while a link is open or opening. */
  reconnectNow() {
    if (this.stopped || this.ws !== null) return;
    this.connect();
  }

  restart() {
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
    this.wait = 500;
    this.connect();
  }

  send(frame) {
    if (!this.connected()) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
}
