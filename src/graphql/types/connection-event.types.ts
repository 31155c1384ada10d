import { Field, ObjectType, registerEnumType } from 'type-graphql';
import type { ConnectionEntity } from '../../entities/connection.entity';
import { ConnectionType } from './connection.types';

/** What happened to a connection, from the subscriber's point of view (CONTRACT section 5). */
export enum ConnectionEventKindEnum {
  ADDED = 'ADDED',
  CHANGED = 'CHANGED',
  REMOVED = 'REMOVED',
}

registerEnumType(ConnectionEventKindEnum, {
  name: 'ConnectionEventKind',
  description: 'How the set of connections the subscriber can see changed.',
  valuesConfig: {
    ADDED: { description: 'The connection became visible: created, retagged or renamed into view, or the roles changed.' },
    CHANGED: { description: 'A visible connection changed (fields, tags, enabled, `connected` after a probe) and stays visible.' },
    REMOVED: { description: 'The connection stopped being visible (deleted, retagged, renamed, roles changed): only its name is given.' },
  },
});

@ObjectType('ConnectionEvent', { simpleResolvers: true, description: 'One change of the connections visible to the subscriber.' })
export class ConnectionEventType {
  @Field(() => ConnectionEventKindEnum, { description: 'What happened: the connection appeared, changed, or disappeared for the subscriber.' })
  kind!: ConnectionEventKindEnum;

  @Field({ description: 'Name of the connection (for REMOVED: the name the subscriber knew it by).' })
  name!: string;

  @Field(() => ConnectionType, { nullable: true, description: 'The connection as it is now; null when REMOVED.' })
  connection!: ConnectionEntity | null;
}
