/**
 * The live dashboard example (docs/dashboards.md): signs in, lists the instances the user can see with urql and
 * its normalized cache (Graphcache), filters them by tag, and stays current through the `connectionEvents`
 * subscription (graphql-ws) without reloading. Bundled by scripts/build-dashboard.mjs; served by the gateway at
 * /examples/dashboard.
 */
import { Client, fetchExchange, subscriptionExchange, gql } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { createClient as createWsClient } from 'graphql-ws';

const SIGN_IN = gql`
  mutation SignIn($login: String!, $password: String!) {
    createToken(login: $login, password: $password) {
      token
    }
  }
`;
const INSTANCES = gql`
  query Instances($filter: ConnectionFilter) {
    connections(first: 200, filter: $filter) {
      totalCount
      nodes {
        name
        host
        enabled
        connected
        tags {
          key
          value
        }
      }
    }
  }
`;
const EVENTS = gql`
  subscription Events {
    connectionEvents {
      kind
      name
      connection {
        name
        host
        enabled
        connected
        tags {
          key
          value
        }
      }
    }
  }
`;

interface Instance {
  name: string;
  host: string;
  enabled: boolean;
  connected: boolean;
  tags: { key: string; value: string }[];
}
interface ConnectionEvent {
  kind: 'ADDED' | 'CHANGED' | 'REMOVED';
  name: string;
  connection: Instance | null;
}

const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const status = (text: string, state: string) => {
  $('#status').textContent = text;
  $('#status').dataset.state = state;
};

/** Connections are identified by name (unique); tags and pages are values inside them. */
function createClient(token: string, onEvent: () => void): Client {
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: { authorization: `Bearer ${token}` },
    on: { connected: () => status('live', 'live'), closed: () => status('reconnecting…', 'offline') },
  });
  return new Client({
    url: '/graphql',
    // POST: the gateway's CSRF protection refuses GET queries without a preflight-forcing header.
    preferGetMethod: false,
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    exchanges: [
      cacheExchange({
        keys: { Connection: (c) => String(c.name), Tag: () => null, ConnectionPage: () => null, PageInfo: () => null, ConnectionEvent: () => null },
        updates: {
          Subscription: {
            connectionEvents: (result, _args, cache) => {
              const event = result.connectionEvents as ConnectionEvent;
              // CHANGED: the normalized entity was just written, every list showing it is current already.
              // REMOVED: the entity goes, so it leaves every list at once; ADDED: lists are re-read (filters run on the server).
              if (event.kind === 'REMOVED') cache.invalidate({ __typename: 'Connection', name: event.name });
              else if (event.kind === 'ADDED') {
                // Every `connections` list in the cache, whatever its arguments (filters).
                for (const field of cache.inspectFields('Query')) if (field.fieldName === 'connections') cache.invalidate('Query', field.fieldKey);
              }
              onEvent();
            },
          },
        },
      }),
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
      fetchExchange,
    ],
  });
}

function render(instances: readonly Instance[], total: number): void {
  const rows = instances.map((c) => {
    const tr = document.createElement('tr');
    tr.dataset.name = c.name;
    const cell = (text: string) => {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
      return td;
    };
    cell(c.name);
    cell(c.host);
    cell(c.enabled ? 'yes' : 'no');
    cell(c.connected ? 'yes' : 'no');
    const tags = cell('');
    tags.className = 'tags';
    for (const t of c.tags) {
      const span = document.createElement('span');
      span.textContent = `${t.key}=${t.value}`;
      tags.append(span);
    }
    return tr;
  });
  $('#instances').replaceChildren(...rows);
  $('#count').textContent = `${total} visible instance${total === 1 ? '' : 's'}`;
}

function start(token: string): void {
  let filter: { access: { filters: { tag: string; value: string }[] }[] } | null = null;
  let stop: (() => void) | null = null;
  const client = createClient(token, () => undefined);
  const watch = () => {
    stop?.();
    const subscription = client.query(INSTANCES, { filter }, { requestPolicy: 'cache-and-network' }).subscribe((result) => {
      if (result.error) $('#count').textContent = result.error.message;
      const page = (result.data as { connections?: { nodes: Instance[]; totalCount: number } } | undefined)?.connections;
      if (page) render(page.nodes, page.nodes.length);
    });
    stop = () => subscription.unsubscribe();
  };
  client.subscription(EVENTS, {}).subscribe(() => undefined);
  $<HTMLFormElement>('#filter').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = new FormData(event.target as HTMLFormElement).get('tag')?.toString().trim() ?? '';
    const [tag, ...rest] = text.split('=');
    filter = text && tag && rest.length ? { access: [{ filters: [{ tag, value: rest.join('=') }] }] } : null;
    watch();
  });
  $('#sign-in').hidden = true;
  $('#dashboard').hidden = false;
  watch();
}

$<HTMLFormElement>('#sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  const anonymous = new Client({ url: '/graphql', preferGetMethod: false, exchanges: [fetchExchange] });
  void anonymous
    .mutation(SIGN_IN, { login: String(form.get('login')), password: String(form.get('password')) })
    .toPromise()
    .then((result) => {
      const token = (result.data as { createToken?: { token: string } } | undefined)?.createToken?.token;
      if (!token) {
        $('#sign-in-error').textContent = result.error?.message ?? 'Sign-in failed';
        return;
      }
      status('connecting…', 'offline');
      start(token);
    });
});
