/**
 * WATCH (`?watch=true`) on collections: newline-delimited JSON events over a chunked response, as
 * informers and `kubectl wait` use it. Supports resourceVersion (replay from a bounded history, 410 when
 * too old), label/field selectors (a change of match becomes ADDED/DELETED), timeoutSeconds,
 * sendInitialEvents + allowWatchBookmarks. Table-formatted watch events are not emulated.
 */
import type { ServerResponse } from 'node:http';
import { selectorsOf, type ApiRequest, type Router, type Target } from './router';
import { matchesFields, matchesLabels } from './selectors';
import { ApiError, errors } from './status';
import type { Store, StoreEvent } from './store';
import type { KubeObject } from './resources';

export function startWatch(
  req: ApiRequest,
  t: Target,
  res: ServerResponse,
  store: Store,
  router: Router,
  onEnd: (end: () => void) => () => void,
): void {
  const { labelReqs, fieldReqs } = selectorsOf(req, t);
  const matches = (o: KubeObject | undefined) =>
    !!o &&
    (t.namespace === undefined || !t.def.namespaced || o.metadata?.namespace === t.namespace) &&
    matchesLabels(labelReqs, o.metadata?.labels) &&
    matchesFields(fieldReqs, o);

  const rvParam = req.query.get('resourceVersion') ?? '';
  const sendInitial = req.query.get('sendInitialEvents') === 'true' || rvParam === '' || rvParam === '0';
  const bookmarks = req.query.get('allowWatchBookmarks') === 'true';
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw errors.badRequest(`invalid resource version: ${rvParam}`);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders(); // a watch with nothing to send yet must still answer its headers (client-go waits for them)
  const write = (type: string, object: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const sameResource = (e: StoreEvent) => e.def.group === t.def.group && e.def.resource === t.def.resource;
  const deliver = (e: StoreEvent) => {
    if (!sameResource(e)) return;
    const now = matches(e.object);
    if (e.type !== 'MODIFIED') {
      if (now) write(e.type, withVersion(e.object, t));
      return;
    }
    const before = matches(e.previous);
    if (now) write(before ? 'MODIFIED' : 'ADDED', withVersion(e.object, t));
    else if (before) write('DELETED', withVersion(e.object, t));
  };

  if (sendInitial) {
    for (const o of router.selected(req, t)) write('ADDED', o);
    if (bookmarks && req.query.get('sendInitialEvents') === 'true') {
      write('BOOKMARK', {
        kind: t.def.kind,
        apiVersion: withVersion({}, t).apiVersion,
        metadata: { resourceVersion: store.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    }
  } else {
    const from = Number(rvParam);
    if (from < store.compactedThrough) {
      write('ERROR', new ApiError(410, `too old resource version: ${from} (${store.compactedThrough})`, 'Expired').toStatus());
      res.end();
      return;
    }
    for (const e of store.history) if (e.rv > from) deliver(e);
  }

  const unsubscribe = store.subscribe(deliver);
  let timer: NodeJS.Timeout | undefined;
  const end = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    deregister();
    if (!res.writableEnded) res.end();
  };
  const deregister = onEnd(end);
  const timeout = Number(req.query.get('timeoutSeconds') ?? '0');
  if (timeout > 0) timer = setTimeout(end, timeout * 1000);
  res.on('close', end);
}

function withVersion(o: KubeObject, t: Target): KubeObject {
  const apiVersion = t.def.group ? `${t.def.group}/${t.def.version}` : t.def.version;
  return { ...o, apiVersion, kind: t.def.kind };
}
