/** The validation of a connection's fields on create and update (the monitoring settings come from their table). */
import { z } from 'zod';
import { connectionPasswordSchema, hostSchema, pgUserSchema, portSchema } from '../validation';
import { optionalSettingsShape } from './monitoring-settings';

const tagsShape = z.array(z.object({ key: z.string(), value: z.string() }));

export const createConnectionSchema = z.object({
  host: hostSchema,
  port: portSchema,
  user: pgUserSchema,
  password: connectionPasswordSchema,
  tags: tagsShape.default([]),
  enabled: z.boolean().default(true),
  ...optionalSettingsShape,
});

export const updateConnectionSchema = z.object({
  host: hostSchema.optional(),
  port: portSchema.optional(),
  user: pgUserSchema.optional(),
  password: connectionPasswordSchema.optional(),
  tags: tagsShape.optional(),
  enabled: z.boolean().optional(),
  ...optionalSettingsShape,
});

export type CreateConnectionData = z.output<typeof createConnectionSchema>;
export type UpdateConnectionData = z.output<typeof updateConnectionSchema>;
