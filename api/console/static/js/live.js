// A job's progress as it happens: the `importJob` subscription over graphql-transport-ws, and
// polling of `importJob` when the websocket cannot be used (a proxy that drops upgrades, a
// closed connection). The key goes in connection_init: browsers cannot set websocket headers.
import { ApiError, gql, socketUrl } from "./api.js";
import { getKey } from "./session.js";

export const PROGRESS = `id databaseId status finished message attempts
  progress { phase rowsDone rowsTotal percent heartbeatAt }`;
const SUBSCRIPTION = `subscription($id: ID!) { importJob(id: $id) { ${PROGRESS} } }`;
const POLL = `query($id: ID!) { importJob(id: $id) { ${PROGRESS} } }`;
const POLL_MS = 1000;
const ACK_TIMEOUT_MS = 5000;

/**
 * Follow a job until it has finished. Calls onUpdate(job) with each new state, onMode("live"
 * or "polling") when the channel is known, onError(error) when even polling fails, and
 * onDone(job) once. Returns a function that stops watching.
 */
export function watchJob(id, { onUpdate, onMode = () => {}, onError = () => {}, onDone }) {
  let stopped = false;
  let socket = null;
  let timer = null;
  let polling = false;
  let finished = false;

  const update = (job) => {
    if (stopped || !job) return;
    onUpdate(job);
    if (job.finished && !finished) {
      finished = true;
      stop();
      onDone(job);
    }
  };

  const poll = async () => {
    if (stopped) return;
    try {
      const data = await gql(POLL, { id });
      update(data.importJob);
    } catch (error) {
      onError(error instanceof ApiError ? error : new ApiError(String(error)));
      if (error?.code === "UNAUTHENTICATED" || error?.code === "FORBIDDEN") return stop();
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };

  const fallBack = () => {
    if (stopped || polling) return;
    polling = true;
    closeSocket();
    onMode("polling");
    poll();
  };

  const closeSocket = () => {
    if (socket) {
      const open = socket;
      socket = null;
      open.onclose = open.onerror = open.onmessage = null;
      try {
        open.close(1000);
      } catch {
        // already closed
      }
    }
  };

  function stop() {
    stopped = true;
    clearTimeout(timer);
    closeSocket();
  }

  try {
    socket = new WebSocket(socketUrl(), "graphql-transport-ws");
  } catch {
    fallBack();
    return stop;
  }
  const ackTimer = setTimeout(fallBack, ACK_TIMEOUT_MS);
  socket.onopen = () => {
    const key = getKey();
    const payload = key ? { Authorization: `Bearer ${key}` } : {};
    socket.send(JSON.stringify({ type: "connection_init", payload }));
  };
  socket.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return fallBack();
    }
    if (message.type === "connection_ack") {
      clearTimeout(ackTimer);
      onMode("live");
      const subscribe = { id: "job", type: "subscribe", payload: { query: SUBSCRIPTION, variables: { id } } };
      socket.send(JSON.stringify(subscribe));
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next") {
      if (message.payload?.errors?.length) return fallBack();
      update(message.payload?.data?.importJob);
    } else if (message.type === "error" || message.type === "complete") {
      // An error, or the end of the stream without a finished job: ask over HTTP instead.
      if (!finished) fallBack();
    }
  };
  socket.onerror = () => fallBack();
  socket.onclose = () => {
    clearTimeout(ackTimer);
    if (!finished) fallBack();
  };
  return () => {
    clearTimeout(ackTimer);
    stop();
  };
}
