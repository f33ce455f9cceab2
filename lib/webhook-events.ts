/**
 * Types of the events Clerk sends to webhook endpoints. `ClerkWebhookEvent` is a discriminated
 * union on `type`: after `if (event.type === 'user.created')`, `event.data` is a `ClerkUserJSON`.
 *
 * The payloads are typed as Clerk documents them (snake_case, as sent); the middleware checks the
 * signature and that the body is `{ type: string, data: object }`, not every field. Clerk may
 * send event types that are not listed here (new ones, billing); they are delivered too, so keep a
 * `default:` branch in a `switch (event.type)`.
 */

type Metadata = Record<string, unknown>;

/** Where the action behind an event came from, when Clerk knows. */
export interface ClerkWebhookEventAttributes {
  http_request?: { client_ip: string; user_agent: string };
}

/** One event: `{ type, object: 'event', data, event_attributes }`. */
export interface ClerkWebhookEventOf<Type extends string, Data> {
  type: Type;
  object: 'event';
  data: Data;
  event_attributes: ClerkWebhookEventAttributes;
  /** When Clerk created the event, in milliseconds since the epoch. */
  timestamp?: number;
  /** The Clerk instance, `ins_…`. */
  instance_id?: string;
}

/** The `data` of a `*.deleted` event for users, organizations and domains. */
export interface ClerkDeletedObjectJSON {
  object: string;
  id?: string;
  slug?: string;
  deleted: boolean;
}

export interface ClerkVerificationJSON {
  status: string;
  strategy: string;
  attempts: number | null;
  expire_at: number | null;
}

export interface ClerkEmailAddressJSON {
  object: 'email_address';
  id: string;
  email_address: string;
  verification: ClerkVerificationJSON | null;
  linked_to: { id: string; type: string }[];
}

export interface ClerkPhoneNumberJSON {
  object: 'phone_number';
  id: string;
  phone_number: string;
  reserved_for_second_factor: boolean;
  default_second_factor: boolean;
  verification: ClerkVerificationJSON | null;
  linked_to: { id: string; type: string }[];
}

export interface ClerkExternalAccountJSON {
  object: string;
  id: string;
  provider: string;
  provider_user_id: string;
  email_address: string;
  first_name: string;
  last_name: string;
  username: string | null;
  verification: ClerkVerificationJSON | null;
}

/** `data` of `user.created` and `user.updated`. */
export interface ClerkUserJSON {
  object: 'user';
  id: string;
  external_id: string | null;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  image_url: string;
  has_image: boolean;
  primary_email_address_id: string | null;
  primary_phone_number_id: string | null;
  primary_web3_wallet_id: string | null;
  email_addresses: ClerkEmailAddressJSON[];
  phone_numbers: ClerkPhoneNumberJSON[];
  web3_wallets: { object: 'web3_wallet'; id: string; web3_wallet: string }[];
  external_accounts: ClerkExternalAccountJSON[];
  password_enabled: boolean;
  two_factor_enabled: boolean;
  totp_enabled: boolean;
  backup_code_enabled: boolean;
  public_metadata: Metadata;
  private_metadata: Metadata;
  unsafe_metadata: Metadata;
  banned: boolean;
  locked: boolean;
  last_sign_in_at: number | null;
  last_active_at: number | null;
  created_at: number;
  updated_at: number;
}

/** `data` of `session.*` events. */
export interface ClerkSessionJSON {
  object: 'session';
  id: string;
  client_id: string;
  user_id: string;
  status: string;
  last_active_organization_id?: string | null;
  actor: Metadata | null;
  last_active_at: number;
  expire_at: number;
  abandon_at: number;
  created_at: number;
  updated_at: number;
}

/** `data` of `organization.created` and `organization.updated`. */
export interface ClerkOrganizationJSON {
  object: 'organization';
  id: string;
  name: string;
  slug: string;
  image_url?: string;
  has_image: boolean;
  members_count?: number;
  max_allowed_memberships: number;
  admin_delete_enabled: boolean;
  public_metadata: Metadata | null;
  private_metadata?: Metadata;
  created_by?: string;
  created_at: number;
  updated_at: number;
}

/** `data` of `organizationMembership.*` events. */
export interface ClerkOrganizationMembershipJSON {
  object: 'organization_membership';
  id: string;
  /** e.g. `org:admin`. */
  role: string;
  permissions: string[];
  public_metadata: Metadata;
  private_metadata?: Metadata;
  organization: ClerkOrganizationJSON;
  public_user_data: {
    user_id: string;
    identifier: string;
    first_name: string | null;
    last_name: string | null;
    image_url: string;
    has_image: boolean;
  };
  created_at: number;
  updated_at: number;
}

/** `data` of `organizationInvitation.*` events. */
export interface ClerkOrganizationInvitationJSON {
  object: 'organization_invitation';
  id: string;
  email_address: string;
  role: string;
  organization_id: string;
  status?: 'pending' | 'accepted' | 'revoked' | 'expired';
  public_metadata: Metadata;
  private_metadata: Metadata;
  created_at: number;
  updated_at: number;
}

/** `data` of `organizationDomain.created` and `organizationDomain.updated`. */
export interface ClerkOrganizationDomainJSON {
  object: 'organization_domain';
  id: string;
  name: string;
  organization_id: string;
  enrollment_mode: string;
  verification: { status: string; strategy: string; attempts: number; expires_at: number } | null;
  affiliation_email_address: string | null;
  created_at: number;
  updated_at: number;
}

/** `data` of `email.created`: an email Clerk sends (or lets you send). */
export interface ClerkEmailJSON {
  object: 'email';
  id: string;
  slug?: string | null;
  from_email_name: string;
  to_email_address?: string;
  email_address_id: string | null;
  user_id?: string | null;
  subject?: string;
  body?: string;
  body_plain?: string | null;
  status?: string;
  data?: Metadata | null;
  delivered_by_clerk: boolean;
}

/** `data` of `sms.created`. */
export interface ClerkSmsMessageJSON {
  object: 'sms_message';
  id: string;
  from_phone_number: string;
  to_phone_number: string;
  phone_number_id: string | null;
  user_id?: string;
  message: string;
  status: string;
  slug?: string | null;
  data?: Metadata | null;
  delivered_by_clerk: boolean;
}

/** `data` of `permission.*` events. */
export interface ClerkPermissionJSON {
  object: 'permission';
  id: string;
  key: string;
  name: string;
  description: string;
  created_at: number;
  updated_at: number;
}

/** `data` of `role.*` events. */
export interface ClerkRoleJSON {
  object: 'role';
  id: string;
  key: string;
  name: string;
  description: string;
  permissions: ClerkPermissionJSON[];
  created_at: number;
  updated_at: number;
}

/** `data` of `waitlistEntry.*` events. */
export interface ClerkWaitlistEntryJSON {
  object: 'waitlist_entry';
  id: string;
  status: string;
  email_address: string;
  is_locked: boolean;
  created_at: number;
  updated_at: number;
}

/** Every event type listed here, with its payload. */
export type ClerkWebhookEvent =
  | ClerkWebhookEventOf<'user.created' | 'user.updated', ClerkUserJSON>
  | ClerkWebhookEventOf<'user.deleted', ClerkDeletedObjectJSON>
  | ClerkWebhookEventOf<'session.created' | 'session.ended' | 'session.removed' | 'session.revoked', ClerkSessionJSON>
  | ClerkWebhookEventOf<'organization.created' | 'organization.updated', ClerkOrganizationJSON>
  | ClerkWebhookEventOf<'organization.deleted', ClerkDeletedObjectJSON>
  | ClerkWebhookEventOf<
      'organizationMembership.created' | 'organizationMembership.updated' | 'organizationMembership.deleted',
      ClerkOrganizationMembershipJSON
    >
  | ClerkWebhookEventOf<
      'organizationInvitation.created' | 'organizationInvitation.accepted' | 'organizationInvitation.revoked',
      ClerkOrganizationInvitationJSON
    >
  | ClerkWebhookEventOf<'organizationDomain.created' | 'organizationDomain.updated', ClerkOrganizationDomainJSON>
  | ClerkWebhookEventOf<'organizationDomain.deleted', ClerkDeletedObjectJSON>
  | ClerkWebhookEventOf<'email.created', ClerkEmailJSON>
  | ClerkWebhookEventOf<'sms.created', ClerkSmsMessageJSON>
  | ClerkWebhookEventOf<'role.created' | 'role.updated' | 'role.deleted', ClerkRoleJSON>
  | ClerkWebhookEventOf<'permission.created' | 'permission.updated' | 'permission.deleted', ClerkPermissionJSON>
  | ClerkWebhookEventOf<'waitlistEntry.created' | 'waitlistEntry.updated', ClerkWaitlistEntryJSON>;

/** `'user.created' | 'user.updated' | …`. */
export type ClerkWebhookEventType = ClerkWebhookEvent['type'];
