/**
 * Types of the events Clerk sends to webhook endpoints. `ClerkWebhookEvent` is a discriminated
 * union on `type`: after `if (event.type === 'user.created')`, `event.data` is a `ClerkUserJSON`.
 *
 * The payloads are typed as Clerk's own SDK types them (`WebhookEvent` of `@clerk/backend`,
 * snake_case, as sent), without depending on it: every event type Clerk's SDK lists is here, and a
 * compile-time test checks that each of Clerk's event types is assignable to ours. The middleware
 * checks the signature and that the body is `{ type: string, data: object }`, not every field.
 * Clerk may add event types; they are delivered too, so keep a `default:` branch in a
 * `switch (event.type)`. The billing payloads (`paymentAttempt.*`, `subscription.*`,
 * `subscriptionItem.*`) follow Clerk's Billing API, which Clerk still marks as beta.
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

/** The `data` of a `*.deleted` event for organizations and domains. */
export interface ClerkDeletedObjectJSON {
  object: string;
  id?: string;
  slug?: string;
  deleted: boolean;
}

/** The `data` of `user.deleted`. */
export interface ClerkUserDeletedJSON extends ClerkDeletedObjectJSON {
  /** The user's `external_id`, when one was set. */
  external_id?: string;
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

/** A session, as in `session.*` events (without their `user`). */
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

/** `data` of `session.created`, `session.ended`, `session.removed` and `session.revoked`. */
export interface ClerkSessionEventJSON extends ClerkSessionJSON {
  /** The session's user, `null` when Clerk could not include it. */
  user: ClerkUserJSON | null;
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

/** `data` of `organizationInvitation.created` and `organizationInvitation.revoked`. */
export interface ClerkOrganizationInvitationJSON {
  /** `organization_invitation` (Clerk's own type says only that it is an object type name). */
  object: string;
  id: string;
  email_address: string;
  /** e.g. `org:member`. */
  role: string;
  role_name: string;
  organization_id: string;
  public_organization_data?: { object: string; id: string; name: string; slug: string; image_url?: string; has_image: boolean } | null;
  status?: 'pending' | 'accepted' | 'revoked' | 'expired';
  public_metadata: Metadata;
  private_metadata: Metadata;
  /** The invitation link, when Clerk sends one. */
  url: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

/** `data` of `organizationInvitation.accepted`. */
export interface ClerkOrganizationInvitationAcceptedJSON extends ClerkOrganizationInvitationJSON {
  status: 'accepted';
  /** The user who accepted it. */
  user_id: string;
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
  description: string | null;
  permissions: ClerkPermissionJSON[];
  is_creator_eligible: boolean;
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

/** An amount of money in Clerk Billing payloads. */
export interface ClerkBillingMoneyAmountJSON {
  /** In the currency's smallest unit (cents). */
  amount: number;
  amount_formatted: string;
  currency: string;
  currency_symbol: string;
}

/** Who pays: a user or an organization. */
export interface ClerkBillingPayerJSON {
  object: 'commerce_payer';
  id: string;
  instance_id: string;
  user_id?: string;
  first_name?: string;
  last_name?: string;
  email: string;
  organization_id?: string;
  organization_name?: string;
  image_url: string;
  created_at: number;
  updated_at: number;
}

/** The plan of a subscription item, as billing events carry it. */
export interface ClerkBillingPlanJSON {
  id: string;
  instance_id: string;
  product_id: string;
  name: string;
  slug: string;
  description?: string;
  is_default: boolean;
  is_recurring: boolean;
  amount: number;
  period: 'month' | 'annual';
  interval: number;
  has_base_fee: boolean;
  currency: string;
  annual_monthly_amount: number;
  publicly_visible: boolean;
}

/** Status of a subscription or subscription item. */
export type ClerkBillingSubscriptionStatus = 'abandoned' | 'active' | 'canceled' | 'ended' | 'expired' | 'incomplete' | 'past_due' | 'upcoming';

/** `data` of `subscriptionItem.*` events, and the items of subscription and payment events. */
export interface ClerkBillingSubscriptionItemJSON {
  object: 'commerce_subscription_item';
  id: string;
  status: ClerkBillingSubscriptionStatus;
  credit: {
    amount: ClerkBillingMoneyAmountJSON;
    cycle_days_remaining: number;
    cycle_days_total: number;
    cycle_remaining_percent: number;
  };
  proration_date: string;
  plan_period: 'month' | 'annual';
  period_start: number;
  period_end: number | null;
  canceled_at?: number;
  past_due_at?: number;
  lifetime_paid: number;
  next_payment_amount: number;
  next_payment_date: number;
  amount: ClerkBillingMoneyAmountJSON;
  plan?: ClerkBillingPlanJSON | null;
  plan_id?: string | null;
  payer?: ClerkBillingPayerJSON;
}

/** `data` of `subscription.*` events. */
export interface ClerkBillingSubscriptionJSON {
  object: 'commerce_subscription';
  id: string;
  status: ClerkBillingSubscriptionStatus;
  active_at?: number;
  canceled_at?: number;
  created_at: number;
  ended_at?: number;
  past_due_at?: number;
  updated_at: number;
  latest_payment_id: string;
  payer_id: string;
  payer: ClerkBillingPayerJSON;
  payment_source_id: string;
  items: ClerkBillingSubscriptionItemJSON[];
}

/** `data` of `paymentAttempt.*` events. */
export interface ClerkBillingPaymentAttemptJSON {
  object: 'commerce_payment_attempt';
  id: string;
  instance_id: string;
  payment_id: string;
  statement_id: string;
  gateway_external_id: string;
  status: 'pending' | 'paid' | 'failed';
  created_at: number;
  updated_at: number;
  paid_at?: number;
  failed_at?: number;
  failed_reason?: { code: string; decline_code: string };
  billing_date: number;
  charge_type: 'checkout' | 'recurring';
  payee: { id: string; gateway_type: string; gateway_external_id: string; gateway_status: 'active' | 'pending' | 'restricted' | 'disconnected' };
  payer: ClerkBillingPayerJSON;
  totals: { subtotal: ClerkBillingMoneyAmountJSON; tax_total: ClerkBillingMoneyAmountJSON; grand_total: ClerkBillingMoneyAmountJSON };
  payment_source: {
    id: string;
    gateway: string;
    gateway_external_id: string;
    gateway_external_account_id?: string;
    payment_method: string;
    status: 'active' | 'disconnected';
    card_type?: string;
    last4?: string;
  };
  subscription_items: ClerkBillingSubscriptionItemJSON[];
}

/** Every event type listed here, with its payload. */
export type ClerkWebhookEvent =
  | ClerkWebhookEventOf<'user.created' | 'user.updated', ClerkUserJSON>
  | ClerkWebhookEventOf<'user.deleted', ClerkUserDeletedJSON>
  | ClerkWebhookEventOf<'session.created' | 'session.ended' | 'session.removed' | 'session.revoked', ClerkSessionEventJSON>
  | ClerkWebhookEventOf<'organization.created' | 'organization.updated', ClerkOrganizationJSON>
  | ClerkWebhookEventOf<'organization.deleted', ClerkDeletedObjectJSON>
  | ClerkWebhookEventOf<'organizationMembership.created' | 'organizationMembership.updated' | 'organizationMembership.deleted', ClerkOrganizationMembershipJSON>
  | ClerkWebhookEventOf<'organizationInvitation.created' | 'organizationInvitation.revoked', ClerkOrganizationInvitationJSON>
  | ClerkWebhookEventOf<'organizationInvitation.accepted', ClerkOrganizationInvitationAcceptedJSON>
  | ClerkWebhookEventOf<'organizationDomain.created' | 'organizationDomain.updated', ClerkOrganizationDomainJSON>
  | ClerkWebhookEventOf<'organizationDomain.deleted', ClerkDeletedObjectJSON>
  | ClerkWebhookEventOf<'email.created', ClerkEmailJSON>
  | ClerkWebhookEventOf<'sms.created', ClerkSmsMessageJSON>
  | ClerkWebhookEventOf<'role.created' | 'role.updated' | 'role.deleted', ClerkRoleJSON>
  | ClerkWebhookEventOf<'permission.created' | 'permission.updated' | 'permission.deleted', ClerkPermissionJSON>
  | ClerkWebhookEventOf<'waitlistEntry.created' | 'waitlistEntry.updated', ClerkWaitlistEntryJSON>
  | ClerkWebhookEventOf<'paymentAttempt.created' | 'paymentAttempt.updated', ClerkBillingPaymentAttemptJSON>
  | ClerkWebhookEventOf<'subscription.created' | 'subscription.updated' | 'subscription.active' | 'subscription.pastDue', ClerkBillingSubscriptionJSON>
  | ClerkWebhookEventOf<
      | 'subscriptionItem.created'
      | 'subscriptionItem.updated'
      | 'subscriptionItem.active'
      | 'subscriptionItem.canceled'
      | 'subscriptionItem.upcoming'
      | 'subscriptionItem.ended'
      | 'subscriptionItem.abandoned'
      | 'subscriptionItem.incomplete'
      | 'subscriptionItem.pastDue'
      | 'subscriptionItem.freeTrialEnding',
      ClerkBillingSubscriptionItemJSON
    >;

/** `'user.created' | 'user.updated' | …`. */
export type ClerkWebhookEventType = ClerkWebhookEvent['type'];
