/** Roles: `/ds-api/roles`, `/ds-api/roles/{role}` and `/ds-api/roles/{role}/users` (administration). */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../services';
import { jsonBody, parseBody, str } from '../body';
import { ctxOf } from '../context';
import { roleDto, statusDto } from '../dto';
import { pathParam } from '../params';
import { userDtos } from './users';

const filter = z.strictObject({ tag: str(), value: str() }, { error: () => 'must be an object {"tag": ..., "value": ...}' });
const group = z.strictObject(
  { filters: z.array(filter, { error: (i) => (i.input === undefined ? 'is required' : 'must be an array of {"tag", "value"} objects') }) },
  { error: () => 'must be an object {"filters": [...]}' },
);
/** `{"access": [{"filters": [{"tag": ..., "value": ...}]}]}`; emptiness and tag syntax are the service's to judge. */
const roleBody = z.strictObject({
  access: z.array(group, { error: (i) => (i.input === undefined ? 'is required' : 'must be an array of {"filters": [...]} groups') }),
});

export function roleHandlers(services: Services) {
  return {
    async list(_req: Request, res: Response): Promise<void> {
      const roles = await services.roles.list(ctxOf(res));
      res.status(200).json(roles.map(roleDto));
    },

    async create(req: Request, res: Response): Promise<void> {
      const name = pathParam(req, 'role');
      const { access } = parseBody(roleBody, jsonBody(req.body));
      const role = await services.roles.create(ctxOf(res), name, access);
      res.status(201).json(statusDto(`Role name ${role.name} created successfully`));
    },

    async display(req: Request, res: Response): Promise<void> {
      const role = await services.roles.getOrThrow(ctxOf(res), pathParam(req, 'role'));
      res.status(200).json(roleDto(role));
    },

    async update(req: Request, res: Response): Promise<void> {
      const name = pathParam(req, 'role');
      const { access } = parseBody(roleBody, jsonBody(req.body));
      const role = await services.roles.update(ctxOf(res), name, access);
      res.status(200).json(statusDto(`Role name ${role.name} updated successfully`));
    },

    async remove(req: Request, res: Response): Promise<void> {
      const name = pathParam(req, 'role');
      await services.roles.delete(ctxOf(res), name);
      res.status(200).json(statusDto(`Role name ${name} deleted successfully`));
    },

    /** Users holding the role, sorted by login; 404 when the role does not exist. */
    async users(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(res);
      const role = await services.roles.getOrThrow(ctx, pathParam(req, 'role'));
      const holders = await ctx.loaders.usersOfRole.load({ roleId: role.id });
      res.status(200).json(await userDtos(ctx, holders));
    },
  };
}
