import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { CreateConnectionInput } from './connection.types';

@InputType({ description: 'One connection of a bulk import: its name and the same fields as createConnection.' })
export class ImportConnectionInput extends CreateConnectionInput {
  @Field({ description: 'Unique identifier: 1-64 of `A-Z a-z 0-9 _ . -`.' })
  name!: string;
}

@ObjectType({ simpleResolvers: true, description: 'Outcome of a bulk import (all or nothing).' })
export class ImportConnectionsResult {
  @Field(() => Int, { description: 'Number of connections created.' })
  created!: number;

  @Field(() => [String], { description: 'Names of the created connections, in input order.' })
  names!: string[];
}
