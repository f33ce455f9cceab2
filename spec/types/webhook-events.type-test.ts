/**
 * Compile-time checks that `ClerkWebhookEvent` (lib/webhooks/webhook-events.ts, self-contained) and the
 * `WebhookEvent` of `@clerk/backend` agree. Nothing here runs: the file type-checks or it does
 * not. `npm run typecheck` (tsc over spec/) and spec/webhooks/webhook-event-types.spec.ts (the compiler
 * API, under jest) both compile it.
 */
import type { WebhookEvent } from '@clerk/backend';
import type { ClerkWebhookEvent } from '../../lib/webhooks/webhook-events';

/** Exactly the same type (not merely mutually assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

/** The event of union `E` whose `type` is `T`, with `type` narrowed to `T`. */
type EventOf<E, T extends string> = E extends { type: infer U } ? (T extends U ? Omit<E, 'type'> & { type: T } : never) : never;

type ClerkType = WebhookEvent['type'];
type OurType = ClerkWebhookEvent['type'];

// 1. The same event type names, all of them: none missing, none extra.
export type SameTypeNames = Expect<Equal<OurType, ClerkType>>;

// 2. Every event Clerk's SDK describes is one of ours with that type: each payload field we declare
//    exists in Clerk's, with a type that accepts what Clerk's says is sent. (The names of the
//    types that fail, or never.)
type NotAssignable = { [T in ClerkType]: EventOf<WebhookEvent, T> extends EventOf<ClerkWebhookEvent, T> ? never : T }[ClerkType];
export type EveryClerkEventIsOurs = Expect<Equal<NotAssignable, never>>;

// 3. The payload fields users read are declared by us (required where Clerk's are) with the same
//    type as in Clerk's.
type DataOf<E, T extends string> = EventOf<E, T> extends { data: infer D } ? D : never;
type SameField<T extends ClerkType, K extends string> = K extends keyof DataOf<WebhookEvent, T> & keyof DataOf<ClerkWebhookEvent, T>
  ? Equal<{ [P in K]: DataOf<ClerkWebhookEvent, T>[P] }, { [P in K]: DataOf<WebhookEvent, T>[P] }> extends true
    ? true
    : { type: T; field: K; problem: 'different type' }
  : { type: T; field: K; problem: 'missing' };
type AllSame<T extends ClerkType, K extends string> = Equal<[K] extends [never] ? never : Exclude<SameField<T, K>, true>, never>;

export type UserFields = Expect<
  AllSame<
    'user.created',
    | 'id'
    | 'object'
    | 'external_id'
    | 'username'
    | 'first_name'
    | 'last_name'
    | 'image_url'
    | 'has_image'
    | 'primary_email_address_id'
    | 'primary_phone_number_id'
    | 'banned'
    | 'locked'
    | 'last_sign_in_at'
    | 'last_active_at'
    | 'created_at'
    | 'updated_at'
    | 'password_enabled'
    | 'two_factor_enabled'
  >
>;
export type UserDeletedFields = Expect<AllSame<'user.deleted', 'id' | 'object' | 'deleted' | 'external_id'>>;
export type SessionFields = Expect<
  AllSame<'session.ended', 'id' | 'object' | 'user_id' | 'client_id' | 'status' | 'actor' | 'last_active_at' | 'expire_at' | 'abandon_at' | 'created_at' | 'updated_at'>
>;
export type OrganizationFields = Expect<
  AllSame<
    'organization.created',
    'id' | 'object' | 'name' | 'slug' | 'image_url' | 'has_image' | 'members_count' | 'max_allowed_memberships' | 'admin_delete_enabled' | 'created_by' | 'created_at' | 'updated_at'
  >
>;
export type OrganizationDeletedFields = Expect<AllSame<'organization.deleted', 'id' | 'object' | 'slug' | 'deleted'>>;
export type MembershipFields = Expect<AllSame<'organizationMembership.created', 'id' | 'object' | 'role' | 'permissions' | 'created_at' | 'updated_at'>>;
export type InvitationFields = Expect<
  AllSame<'organizationInvitation.created', 'id' | 'email_address' | 'role' | 'role_name' | 'organization_id' | 'url' | 'created_at' | 'updated_at' | 'expires_at'>
>;
export type InvitationAcceptedFields = Expect<AllSame<'organizationInvitation.accepted', 'id' | 'status' | 'user_id' | 'organization_id' | 'email_address'>>;
export type DomainFields = Expect<AllSame<'organizationDomain.created', 'id' | 'object' | 'name' | 'organization_id' | 'affiliation_email_address' | 'created_at' | 'updated_at'>>;
export type EmailFields = Expect<
  AllSame<
    'email.created',
    'id' | 'object' | 'slug' | 'from_email_name' | 'to_email_address' | 'email_address_id' | 'user_id' | 'subject' | 'body' | 'body_plain' | 'status' | 'delivered_by_clerk'
  >
>;
export type SmsFields = Expect<
  AllSame<'sms.created', 'id' | 'object' | 'from_phone_number' | 'to_phone_number' | 'phone_number_id' | 'user_id' | 'message' | 'status' | 'delivered_by_clerk'>
>;
export type RoleFields = Expect<AllSame<'role.created', 'id' | 'object' | 'key' | 'name' | 'description' | 'is_creator_eligible' | 'created_at' | 'updated_at'>>;
export type PermissionFields = Expect<AllSame<'permission.created', 'id' | 'object' | 'key' | 'name' | 'description' | 'created_at' | 'updated_at'>>;
export type WaitlistFields = Expect<AllSame<'waitlistEntry.created', 'id' | 'object' | 'email_address' | 'is_locked' | 'created_at' | 'updated_at'>>;
export type PaymentAttemptFields = Expect<
  AllSame<
    'paymentAttempt.updated',
    | 'id'
    | 'object'
    | 'instance_id'
    | 'payment_id'
    | 'statement_id'
    | 'status'
    | 'created_at'
    | 'updated_at'
    | 'paid_at'
    | 'failed_at'
    | 'failed_reason'
    | 'billing_date'
    | 'charge_type'
    | 'payer'
    | 'totals'
  >
>;
export type SubscriptionFields = Expect<
  AllSame<
    'subscription.active',
    'id' | 'object' | 'status' | 'active_at' | 'canceled_at' | 'created_at' | 'ended_at' | 'past_due_at' | 'updated_at' | 'latest_payment_id' | 'payer_id' | 'payer' | 'payment_source_id'
  >
>;
export type SubscriptionItemFields = Expect<
  AllSame<
    'subscriptionItem.canceled',
    | 'id'
    | 'object'
    | 'status'
    | 'plan_period'
    | 'period_start'
    | 'period_end'
    | 'canceled_at'
    | 'past_due_at'
    | 'lifetime_paid'
    | 'next_payment_amount'
    | 'next_payment_date'
    | 'amount'
    | 'plan_id'
    | 'payer'
  >
>;

// 4. The envelope: `type`, `object`, `data` and `event_attributes` are required, as in Clerk's.
export type Envelope = Expect<Equal<Exclude<keyof ClerkWebhookEvent, keyof WebhookEvent>, never>>;
