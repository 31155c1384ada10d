import { Field, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'A tag on a connection: a key=value pair.' })
export class Tag {
  @Field({ description: 'Tag key, e.g. `environment`.' })
  key!: string;

  @Field({ description: 'Tag value, e.g. `production`.' })
  value!: string;

  @Field({ description: 'True for tags the gateway sets itself (`pg_instance`, `server`, `pg_version`).' })
  automatic!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'One condition of an access group: the connection must carry this tag with this value.' })
export class TagFilter {
  @Field({ description: 'Tag key; automatic tags (`pg_instance`, `server`, `pg_version`) may be used.' })
  tag!: string;

  @Field({ description: 'Exact, case-sensitive value.' })
  value!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A group of filters that must all match (AND). A role matches when any group matches (OR).' })
export class AccessGroup {
  @Field(() => [TagFilter], { description: 'Conditions that must all hold (AND); never empty.' })
  filters!: TagFilter[];
}

@InputType({ description: 'A user tag to set on a connection.' })
export class TagInput {
  @Field({ description: 'Starts with a letter or `_`; up to 64 of `A-Z a-z 0-9 _ . -`. Automatic keys are refused.' })
  key!: string;

  @Field({ description: '1-256 characters, trimmed, without `,` or control characters.' })
  value!: string;
}

@InputType({ description: 'One tag condition of an access group.' })
export class TagFilterInput {
  @Field({ description: 'Tag key, e.g. `environment`; automatic tags (`pg_instance`, `server`, `pg_version`) may be used.' })
  tag!: string;

  @Field({ description: 'Exact, case-sensitive value the connection must carry, e.g. `production`.' })
  value!: string;
}

@InputType({ description: 'A non-empty group of tag conditions, all of which must match.' })
export class AccessGroupInput {
  @Field(() => [TagFilterInput], { description: 'Non-empty list of conditions that must all hold (AND).' })
  filters!: TagFilterInput[];
}

@ObjectType({ simpleResolvers: true, description: 'How many visible connections carry one value of a tag.' })
export class TagValueCount {
  @Field({ description: 'One value of the tag, e.g. `production`.' })
  value!: string;

  @Field(() => Int, { description: 'Number of visible connections with this value.' })
  count!: number;
}

@ObjectType({ simpleResolvers: true, description: 'A tag key and its values over the connections the caller can see.' })
export class TagSummary {
  @Field({ description: 'Tag key, e.g. `environment`.' })
  key!: string;

  @Field({ description: 'True for tags the gateway sets itself.' })
  automatic!: boolean;

  @Field(() => Int, { description: 'How many distinct values the key has (all of them, whatever `values` returns).' })
  valueCount!: number;

  // `values(first, after)` is resolved by TagResolver.
  values!: readonly TagValueCount[];
}
