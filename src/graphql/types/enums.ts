import { registerEnumType } from 'type-graphql';

/** GraphQL enums whose internal values are the vendor's spellings, stored as such in the database. */
export enum ProfileEnum {
  DEVELOPER = 'developer',
  DATA_ADMIN = 'data admin',
}

export enum PrivilegeEnum {
  READ = 'read',
  READ_WRITE = 'read write',
  ADMIN = 'admin',
}

export enum CollectionRateEnum {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
}

registerEnumType(ProfileEnum, {
  name: 'Profile',
  description: 'Which dashboards a user sees.',
  valuesConfig: {
    DEVELOPER: { description: 'Top Queries, Session History and Top Tables/Indexes dashboards, and their PDF reports.' },
    DATA_ADMIN: { description: 'Every dashboard and report (the default).' },
  },
});

registerEnumType(PrivilegeEnum, {
  name: 'Privilege',
  description: 'What a user may do on the platform.',
  valuesConfig: {
    READ: { description: 'Read only.' },
    READ_WRITE: { description: 'Read, and kill sessions or backends from the dashboards.' },
    ADMIN: { description: 'Read write, and administer the platform (the default). Administration also needs profile DATA_ADMIN and no role.' },
  },
});

registerEnumType(CollectionRateEnum, {
  name: 'CollectionRate',
  description: 'How often metrics are collected from a monitored instance.',
  valuesConfig: {
    LOW: { description: 'The vendor default: lightest load on the monitored instance.' },
    MEDIUM: { description: 'More frequent collection.' },
    HIGH: { description: 'Most frequent collection, for instances under close watch.' },
  },
});
