import { Authorized, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { AppError } from '../../errors/app-error';
import type { EventPayload } from '../../subscriptions/event-stream';
import type { VisibilityEvent } from '../../subscriptions/live-visibility';
import type { GraphQLContext } from '../context';
import { ConnectionEventType } from '../types/connection-event.types';

/** What the WebSocket server (src/subscriptions/websocket-server.ts) adds to the context of a subscription. */
export interface LiveContext extends GraphQLContext {
  openConnectionEvents?: () => Promise<AsyncIterable<EventPayload>>;
}

@Resolver()
export class SubscriptionResolver {
  @Authorized()
  @Subscription(() => ConnectionEventType, {
    description:
      'Changes of the connections the subscriber can see, as they happen on any replica: ADDED, CHANGED, REMOVED ' +
      '(visibility as of each change). Over WebSocket (graphql-ws protocol) at /graphql, authenticated in ' +
      '`connection_init` with `{"authorization": "Bearer <token or API key>"}`; see docs/dashboards.md.',
    subscribe: ({ context }: SubscribeResolverData<unknown, unknown, LiveContext>) => {
      if (!context.openConnectionEvents) {
        throw new AppError('BAD_USER_INPUT', 'Subscriptions are served over WebSocket (graphql-ws protocol) at /graphql, not over HTTP');
      }
      return context.openConnectionEvents();
    },
  })
  connectionEvents(@Root() event: VisibilityEvent): VisibilityEvent {
    return event;
  }
}
