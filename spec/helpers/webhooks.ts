import { randomBytes } from 'node:crypto';
// Svix's own signer: an implementation independent of the one under test.
import { Webhook } from 'svix';

/** A fresh `whsec_…` signing secret, made as Svix makes them (24 random bytes). */
export function createSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export interface SignOptions {
  id?: string;
  /** Default is now. */
  timestamp?: Date;
}

let deliveries = 0;

/** The three headers Clerk (Svix) sends with `payload`, signed by the svix package. */
export function signDelivery(secret: string, payload: string, options: SignOptions = {}): Record<string, string> {
  const id = options.id ?? `msg_test_${++deliveries}_${randomBytes(6).toString('hex')}`;
  const timestamp = options.timestamp ?? new Date();
  return {
    'svix-id': id,
    'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'svix-signature': new Webhook(secret).sign(id, timestamp, payload),
  };
}

/** A `user.created` event shaped as Clerk sends it. */
export function userCreatedEvent(userId = 'user_29w83sxmDNGwOuEthce5gg56FcC') {
  return {
    data: {
      object: 'user',
      id: userId,
      external_id: null,
      username: null,
      first_name: 'Ada',
      last_name: 'Lovelace',
      image_url: 'https://img.clerk.com/x',
      has_image: false,
      primary_email_address_id: 'idn_1',
      primary_phone_number_id: null,
      primary_web3_wallet_id: null,
      email_addresses: [
        { object: 'email_address', id: 'idn_1', email_address: 'ada@example.com', verification: { status: 'verified', strategy: 'email_code', attempts: 1, expire_at: null }, linked_to: [] },
      ],
      phone_numbers: [],
      web3_wallets: [],
      external_accounts: [],
      password_enabled: true,
      two_factor_enabled: false,
      totp_enabled: false,
      backup_code_enabled: false,
      public_metadata: {},
      private_metadata: {},
      unsafe_metadata: {},
      banned: false,
      locked: false,
      last_sign_in_at: null,
      last_active_at: null,
      created_at: 1654012591514,
      updated_at: 1654012591835,
    },
    event_attributes: { http_request: { client_ip: '0.0.0.0', user_agent: 'Mozilla/5.0' } },
    instance_id: 'ins_123',
    object: 'event',
    timestamp: 1654012591835,
    type: 'user.created',
  };
}
