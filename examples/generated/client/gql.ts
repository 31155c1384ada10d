/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation SignIn($login: String!, $password: String!) {\n  createToken(login: $login, password: $password) {\n    token\n    expiresAt\n    user {\n      login\n    }\n  }\n}\n\nmutation CreateConnection($name: String!, $input: CreateConnectionInput!) {\n  createConnection(name: $name, input: $input) {\n    name\n    connected\n    pgVersion\n    lastProbeError\n    tagString\n  }\n}\n\nquery PreviewAccess($access: [AccessGroupInput!]!, $first: Int = 50) {\n  previewAccess(access: $access, first: $first) {\n    totalCount\n    nodes {\n      name\n      tagString\n    }\n  }\n}\n\nmutation CreateRole($name: String!, $access: [AccessGroupInput!]!) {\n  createRole(name: $name, access: $access) {\n    name\n    connectionCount\n  }\n}\n\nmutation CreateUser($email: String!, $input: CreateUserInput!) {\n  createUser(email: $email, input: $input) {\n    id\n    login\n    email\n    restricted\n    roles {\n      name\n    }\n  }\n}\n\nquery RolesOverview {\n  roles {\n    name\n    connectionCount\n    access {\n      filters {\n        tag\n        value\n      }\n    }\n    users {\n      login\n      roles {\n        name\n      }\n    }\n  }\n}": typeof types.SignInDocument,
    "query Me {\n  me {\n    login\n    email\n    profile\n    privilege\n    restricted\n    permissions {\n      administer\n      killSessions\n      live360\n      dashboards\n    }\n  }\n}\n\nquery VisibleConnections($first: Int = 50, $after: String, $filter: ConnectionFilter) {\n  connections(first: $first, after: $after, filter: $filter) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      name\n      host\n      port\n      enabled\n      connected\n      pgVersion\n      tags {\n        key\n        value\n        automatic\n      }\n    }\n  }\n}\n\nquery TagSummary {\n  tags {\n    key\n    automatic\n    values {\n      value\n      count\n    }\n  }\n}\n\nquery ConnectionByName($name: String!) {\n  connection(name: $name) {\n    name\n    host\n    port\n    user\n    tagString\n    enabled\n    connected\n  }\n}": typeof types.MeDocument,
};
const documents: Documents = {
    "mutation SignIn($login: String!, $password: String!) {\n  createToken(login: $login, password: $password) {\n    token\n    expiresAt\n    user {\n      login\n    }\n  }\n}\n\nmutation CreateConnection($name: String!, $input: CreateConnectionInput!) {\n  createConnection(name: $name, input: $input) {\n    name\n    connected\n    pgVersion\n    lastProbeError\n    tagString\n  }\n}\n\nquery PreviewAccess($access: [AccessGroupInput!]!, $first: Int = 50) {\n  previewAccess(access: $access, first: $first) {\n    totalCount\n    nodes {\n      name\n      tagString\n    }\n  }\n}\n\nmutation CreateRole($name: String!, $access: [AccessGroupInput!]!) {\n  createRole(name: $name, access: $access) {\n    name\n    connectionCount\n  }\n}\n\nmutation CreateUser($email: String!, $input: CreateUserInput!) {\n  createUser(email: $email, input: $input) {\n    id\n    login\n    email\n    restricted\n    roles {\n      name\n    }\n  }\n}\n\nquery RolesOverview {\n  roles {\n    name\n    connectionCount\n    access {\n      filters {\n        tag\n        value\n      }\n    }\n    users {\n      login\n      roles {\n        name\n      }\n    }\n  }\n}": types.SignInDocument,
    "query Me {\n  me {\n    login\n    email\n    profile\n    privilege\n    restricted\n    permissions {\n      administer\n      killSessions\n      live360\n      dashboards\n    }\n  }\n}\n\nquery VisibleConnections($first: Int = 50, $after: String, $filter: ConnectionFilter) {\n  connections(first: $first, after: $after, filter: $filter) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      name\n      host\n      port\n      enabled\n      connected\n      pgVersion\n      tags {\n        key\n        value\n        automatic\n      }\n    }\n  }\n}\n\nquery TagSummary {\n  tags {\n    key\n    automatic\n    values {\n      value\n      count\n    }\n  }\n}\n\nquery ConnectionByName($name: String!) {\n  connection(name: $name) {\n    name\n    host\n    port\n    user\n    tagString\n    enabled\n    connected\n  }\n}": types.MeDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignIn($login: String!, $password: String!) {\n  createToken(login: $login, password: $password) {\n    token\n    expiresAt\n    user {\n      login\n    }\n  }\n}\n\nmutation CreateConnection($name: String!, $input: CreateConnectionInput!) {\n  createConnection(name: $name, input: $input) {\n    name\n    connected\n    pgVersion\n    lastProbeError\n    tagString\n  }\n}\n\nquery PreviewAccess($access: [AccessGroupInput!]!, $first: Int = 50) {\n  previewAccess(access: $access, first: $first) {\n    totalCount\n    nodes {\n      name\n      tagString\n    }\n  }\n}\n\nmutation CreateRole($name: String!, $access: [AccessGroupInput!]!) {\n  createRole(name: $name, access: $access) {\n    name\n    connectionCount\n  }\n}\n\nmutation CreateUser($email: String!, $input: CreateUserInput!) {\n  createUser(email: $email, input: $input) {\n    id\n    login\n    email\n    restricted\n    roles {\n      name\n    }\n  }\n}\n\nquery RolesOverview {\n  roles {\n    name\n    connectionCount\n    access {\n      filters {\n        tag\n        value\n      }\n    }\n    users {\n      login\n      roles {\n        name\n      }\n    }\n  }\n}"): (typeof documents)["mutation SignIn($login: String!, $password: String!) {\n  createToken(login: $login, password: $password) {\n    token\n    expiresAt\n    user {\n      login\n    }\n  }\n}\n\nmutation CreateConnection($name: String!, $input: CreateConnectionInput!) {\n  createConnection(name: $name, input: $input) {\n    name\n    connected\n    pgVersion\n    lastProbeError\n    tagString\n  }\n}\n\nquery PreviewAccess($access: [AccessGroupInput!]!, $first: Int = 50) {\n  previewAccess(access: $access, first: $first) {\n    totalCount\n    nodes {\n      name\n      tagString\n    }\n  }\n}\n\nmutation CreateRole($name: String!, $access: [AccessGroupInput!]!) {\n  createRole(name: $name, access: $access) {\n    name\n    connectionCount\n  }\n}\n\nmutation CreateUser($email: String!, $input: CreateUserInput!) {\n  createUser(email: $email, input: $input) {\n    id\n    login\n    email\n    restricted\n    roles {\n      name\n    }\n  }\n}\n\nquery RolesOverview {\n  roles {\n    name\n    connectionCount\n    access {\n      filters {\n        tag\n        value\n      }\n    }\n    users {\n      login\n      roles {\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    login\n    email\n    profile\n    privilege\n    restricted\n    permissions {\n      administer\n      killSessions\n      live360\n      dashboards\n    }\n  }\n}\n\nquery VisibleConnections($first: Int = 50, $after: String, $filter: ConnectionFilter) {\n  connections(first: $first, after: $after, filter: $filter) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      name\n      host\n      port\n      enabled\n      connected\n      pgVersion\n      tags {\n        key\n        value\n        automatic\n      }\n    }\n  }\n}\n\nquery TagSummary {\n  tags {\n    key\n    automatic\n    values {\n      value\n      count\n    }\n  }\n}\n\nquery ConnectionByName($name: String!) {\n  connection(name: $name) {\n    name\n    host\n    port\n    user\n    tagString\n    enabled\n    connected\n  }\n}"): (typeof documents)["query Me {\n  me {\n    login\n    email\n    profile\n    privilege\n    restricted\n    permissions {\n      administer\n      killSessions\n      live360\n      dashboards\n    }\n  }\n}\n\nquery VisibleConnections($first: Int = 50, $after: String, $filter: ConnectionFilter) {\n  connections(first: $first, after: $after, filter: $filter) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    nodes {\n      name\n      host\n      port\n      enabled\n      connected\n      pgVersion\n      tags {\n        key\n        value\n        automatic\n      }\n    }\n  }\n}\n\nquery TagSummary {\n  tags {\n    key\n    automatic\n    values {\n      value\n      count\n    }\n  }\n}\n\nquery ConnectionByName($name: String!) {\n  connection(name: $name) {\n    name\n    host\n    port\n    user\n    tagString\n    enabled\n    connected\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;