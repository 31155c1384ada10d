import type { RequestContext } from '../context/request-context';
import type { Services } from '../services';

/** The GraphQL context: the request context every service takes, plus the services themselves. */
export interface GraphQLContext extends RequestContext {
  services: Services;
}
