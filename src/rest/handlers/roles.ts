/** Roles: `/ds-api/roles`, `/ds-api/roles/{role}` and `/ds-api/roles/{role}/users` (administration). */
import type { Request, Response } from 'express';
import type { Services } from '../../services';
import { jsonBody, parseBody } from '../body';
import { ctxOf } from '../context';
import { roleDto, statusDto } from '../dto';
import { pathParam } from '../params';
import { roleInputBody } from '../schemas';
import { userDtos } from './users';

export function roleHandlers(services: Services) {
  return {
    async list(_req: Request, res: Response): Promise<void> {
      const roles = await services.roles.list(ctxOf(res));
      res.status(200).json(roles.map(roleDto));
    },

    async create(req: Request, res: Response): Promise<void> {
      const name = pathParam(req, 'role');
      const { access } = parseBody(roleInputBody, jsonBody(req.body));
      const role = await services.roles.create(ctxOf(res), name, access);
      res.status(201).json(statusDto(`Role name ${role.name} created successfully`));
    },

    async display(req: Request, res: Response): Promise<void> {
      const role = await services.roles.getOrThrow(ctxOf(res), pathParam(req, 'role'));
      res.status(200).json(roleDto(role));
    },

    async update(req: Request, res: Response): Promise<void> {
      const name = pathParam(req, 'role');
      const { access } = parseBody(roleInputBody, jsonBody(req.body));
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
