/** Ordering, backward paging and tag conditions of connection lists (CONTRACT section 5, "Live dashboards and Relay"). */
import { ArgsType, Field, InputType, Int, registerEnumType } from 'type-graphql';

export enum ConnectionOrderFieldEnum {
  NAME = 'NAME',
  HOST = 'HOST',
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
}

export enum OrderDirectionEnum {
  ASC = 'ASC',
  DESC = 'DESC',
}

export enum TagOperatorEnum {
  EQ = 'EQ',
  NEQ = 'NEQ',
  IN = 'IN',
  NOT_IN = 'NOT_IN',
  EXISTS = 'EXISTS',
  NOT_EXISTS = 'NOT_EXISTS',
  PREFIX = 'PREFIX',
}

registerEnumType(ConnectionOrderFieldEnum, {
  name: 'ConnectionOrderField',
  description: 'What a connection list is sorted on; the name breaks ties, so every order is total.',
  valuesConfig: {
    NAME: { description: 'The name, byte order (the default).' },
    HOST: { description: 'The host, byte order, then the name.' },
    CREATED_AT: { description: 'When the connection was declared, then the name.' },
    UPDATED_AT: { description: 'When the connection was last changed (probes do not count), then the name.' },
  },
});

registerEnumType(OrderDirectionEnum, {
  name: 'OrderDirection',
  description: 'Ascending or descending.',
  valuesConfig: { ASC: { description: 'Smallest first (A to Z, oldest first).' }, DESC: { description: 'Largest first (Z to A, newest first).' } },
});

registerEnumType(TagOperatorEnum, {
  name: 'TagOperator',
  description: "How a tag condition tests one key of a connection's tags (user and automatic tags; exact, case-sensitive).",
  valuesConfig: {
    EQ: { description: 'The key is present with this value (one value).' },
    NEQ: { description: 'Not EQ: the key is absent, or present with another value (one value). Add EXISTS for "present with another value".' },
    IN: { description: 'The key is present with one of these values (1 to 100 values).' },
    NOT_IN: { description: 'Not IN: the key is absent, or present with none of these values (1 to 100 values).' },
    EXISTS: { description: 'The key is present, whatever its value (no value).' },
    NOT_EXISTS: { description: 'The key is absent (no value).' },
    PREFIX: { description: 'The key is present and its value starts with this text (one value).' },
  },
});

@InputType({ description: 'The order of a connection list. Cursors belong to the order that gave them.' })
export class ConnectionOrder {
  @Field(() => ConnectionOrderFieldEnum, { description: 'What to sort on.' })
  field!: ConnectionOrderFieldEnum;

  @Field(() => OrderDirectionEnum, { nullable: true, defaultValue: OrderDirectionEnum.ASC, description: 'Default ASC.' })
  direction?: OrderDirectionEnum | null;
}

@InputType({ description: 'One condition on one tag key, e.g. `{key: "environment", op: IN, values: ["production", "staging"]}`.' })
export class TagCondition {
  @Field({ description: 'Tag key; automatic keys (`pg_instance`, `server`, `pg_version`) may be used.' })
  key!: string;

  @Field(() => TagOperatorEnum, { description: 'The test.' })
  op!: TagOperatorEnum;

  @Field(() => [String], { nullable: true, description: 'EQ, NEQ, PREFIX: exactly one value; IN, NOT_IN: 1 to 100; EXISTS, NOT_EXISTS: none (omit).' })
  values?: string[] | null;
}

/** Paging arguments of every connection list: `first`/`after` (unchanged), `last`/`before`, `orderBy`. */
@ArgsType()
export class ConnectionPagingArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50, description: 'Page size reading forward: default 50, at most 500 (larger values are capped).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page: the page starts after it.' })
  after?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Page size reading backward (at most 500): the last items before `before` (or of the list). Not with an explicit `first`.',
  })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'The `startCursor` of the next page: the page ends before it.' })
  before?: string | null;

  @Field(() => ConnectionOrder, { nullable: true, description: 'Sort order; default `{field: NAME, direction: ASC}`.' })
  orderBy?: ConnectionOrder | null;
}
