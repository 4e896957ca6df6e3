/**
 * The HTTP contract as TypeScript types, generated from the OpenAPI document by
 * openapi-typescript: do not edit. Regenerate with `npm run generate:client`; a test fails
 * while this file differs from what the server documents.
 */
export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process is alive */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The store answers and the engine runs */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/campaigns": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The operator's campaigns, newest first, with live counts while they run */
        get: operations["getV1AdminCampaigns"];
        put?: never;
        /** Create a campaign and fund its budget account from funding */
        post: operations["createCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/campaigns/{id}/close": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End a campaign now: its unspent budget goes back to funding at once, exactly once (a second close: 410 ENDED) */
        post: operations["postV1AdminCampaignsIdClose"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/campaigns/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Hold a campaign: claims get 409 CAMPAIGN_PAUSED until it resumes; its end still comes */
        post: operations["postV1AdminCampaignsIdPause"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/campaigns/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Let a paused campaign's claims through again (409 CAMPAIGN_NOT_PAUSED if it is not) */
        post: operations["postV1AdminCampaignsIdResume"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/covers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish a cover: a PNG, JPEG or WebP image, checked by decoding it
         * @description The image is base64 in JSON, at most 524288 bytes decoded. Its format and size in pixels come from decoding it, not from any name or declared type; 422 COVER_INVALID says what is wrong (not an image, another format, an animation, a side out of bounds, truncated).
         */
        post: operations["addCover"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/deposits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Top up a wallet from the funding account */
        post: operations["deposit"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every service key, revoked ones included, without secrets */
        get: operations["listServiceKeys"];
        put?: never;
        /** Create a service key with scopes; its secret is in this answer only (it is kept hashed) */
        post: operations["createServiceKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/keys/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a service key: its next request is refused (401 TOKEN_REVOKED) */
        post: operations["revokeServiceKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/keys/{id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new secret for a service key, same id and scopes; the old secret is refused from now on, or after `graceSeconds` */
        post: operations["rotateServiceKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/ledger": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The ledger's health: the sum of all balances (always 0), funding and escrow */
        get: operations["getLedgerHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/signing-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The keys that sign user tokens, by kid; `current` signs new tokens */
        get: operations["listSigningKeys"];
        put?: never;
        /** Make a new signing key current; tokens of older keys stay valid until those keys are retired */
        post: operations["rotateSigningKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/signing-keys/{kid}/retire": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Retire a signing key: every token it signed is refused from now on (409 SIGNING_KEY_IN_USE for the current key) */
        post: operations["retireSigningKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/special-days": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add a special day (Gregorian every year, lunar every year, or one date) with its own caps */
        post: operations["addSpecialDay"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Users, newest first, with their balances */
        get: operations["getV1AdminUsers"];
        put?: never;
        /** Create a user; answers the user's id and a token for it */
        post: operations["createUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/users/{id}/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke every token of a user issued so far */
        post: operations["logOutUserEverywhere"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/users/bulk": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create up to 10000 users in one durable batch, all or none; answers each one's id and token */
        post: operations["createUsers"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhook-endpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every webhook endpoint, with its deliveries counted by state */
        get: operations["getV1AdminWebhookEndpoints"];
        put?: never;
        /**
         * Register a webhook endpoint; the answer carries its signing secret, shown only here
         * @description Only http(s) URLs. By default the host must resolve to public addresses only (422 WEBHOOK_TARGET_REFUSED otherwise); `hongbao serve --webhook-allow-private` lifts that. The endpoint gets the events that happen after it is registered, of the types listed (all when the list is empty or left out).
         */
        post: operations["postV1AdminWebhookEndpoints"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhook-endpoints/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One webhook endpoint, with its deliveries counted by state */
        get: operations["getV1AdminWebhookEndpointsId"];
        put?: never;
        post?: never;
        /** Remove a webhook endpoint and its deliveries; nothing more is sent to it */
        delete: operations["deleteV1AdminWebhookEndpointsId"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhook-endpoints/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An endpoint's deliveries, newest event first: attempts, last status or error, next attempt */
        get: operations["getV1AdminWebhookEndpointsIdDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/webhook-endpoints/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new signing secret; the old one keeps signing beside it for `overlapSeconds` (default a day) */
        post: operations["postV1AdminWebhookEndpointsIdRotateSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/exchange": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange the product's own signed token (JWT, checked against its JWKS) for a user token
         * @description The product's token needs `iss` and `aud` as configured, `sub`, `iat` (at most 10 minutes old) and `exp`. A subject seen before gets its user; a new one is linked to the user with the token's `phone_number`, made (named by `name`) when the phone has none. 404 EXCHANGE_NOT_CONFIGURED when no product is configured.
         */
        post: operations["exchangeProductToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/options": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the login page may offer: sign-up of new phones (--signup), and the dev sender's codes */
        get: operations["getV1AuthOptions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/otp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a login code to a phone
         * @description Answers the same whether or not the phone belongs to a user, so phones cannot be probed. 429 RATE_LIMITED with Retry-After past the limits per address and per phone.
         */
        post: operations["sendLoginCode"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Exchange a login code for a user token */
        post: operations["logIn"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A campaign with live counts */
        get: operations["getCampaign"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/claim": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Claim once: claimed (with the amount), or ALREADY_CLAIMED, SOLD_OUT, NOT_STARTED, ENDED, BUSY (503 + Retry-After); 425 and 503 may carry a place in line (QueuePlace): come back with its ticket in Queue-Ticket; TICKET_INVALID (400), TICKET_NOT_YOURS (403), TICKET_USED (409) */
        post: operations["claimCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/queue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where a ticket holder stands, decided nothing (JSON); with `Accept: text/event-stream`, a stream of `place` events and, at the holder's turn, one `result` event with the claim's answer (TOO_MANY_STREAMS 429 past the bounds) */
        get: operations["getV1CampaignsIdQueue"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/covers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The catalogue of covers a sender may pick from */
        get: operations["listCovers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/covers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A cover's image, cacheable forever (ETag, Cache-Control: immutable); 304 to If-None-Match */
        get: operations["getCoverImage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/dev/login-code": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The last login code the dev sender sent to a phone (only while no real sender is configured, and only to a client on the server's own machine) */
        get: operations["getV1DevLoginCode"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Events: a user's own (the transfers and packets they are party to); the operator's: all
         * @description Cursor pages: `startingAfter` is the last event id of the page before. `order=desc` (default) is newest first; `order=asc` follows the outbox in order, for a reader that catches up. `type` filters by one or more event types, comma-separated. Events are kept 30 days by default (the server's event retention), then deleted.
         */
        get: operations["getV1Events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/evidence/public-key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The Ed25519 public key that signs evidence records */
        get: operations["getEvidencePublicKey"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a group; its creator is a member */
        post: operations["createGroup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A group, for its members */
        get: operations["getGroup"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/packets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A group's open and recently finished red packets, newest first (at most 100) */
        get: operations["getV1GroupsIdPackets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/red-packets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A group's red packets, newest first, for its members */
        get: operations["getV1GroupsIdRedPackets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/limits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The rules in force at an instant (default: now), and why */
        get: operations["getLimits"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The user the token speaks for */
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live updates for the user: new packets and grabs in their groups, transfers, deposits (server-sent events)
         * @description Server-sent events, each once the batch that made it is durable: `packet` (a new packet in one of the user's groups: `{ packet }`), `grab` (someone grabbed a packet in one of the user's groups: `{ packetId, groupId, userId, amount, status }`), `transfer` (a transfer to the user, or an answer to one of the user's: `{ transfer }`), `wallet` (a deposit to the user: `{ amount, balance }`), `resync` (events were shed while the service was crowded: reload what is shown), and a `hello` when the stream opens. A comment line every 15 s keeps an idle stream open; the stream ends after 30 min and the client reconnects with its current token. At most 3 streams per user (429 TOO_MANY_STREAMS); refused with 503 BUSY and Retry-After while a crowd is served or the server holds its most streams.
         */
        get: operations["getV1MeEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The groups the user is a member of (newest first, at most 100) */
        get: operations["getV1MeGroups"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Log out everywhere: every token of this user issued so far, this one included, is refused from now on */
        post: operations["logOutEverywhere"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/red-packets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Red packets I sent, or those I received a share of, newest first */
        get: operations["getV1MeRedPackets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/statement": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The wallet's entries, newest first, each with the balance after it */
        get: operations["getStatement"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/transfers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My transfers, newest first: all, incoming, outgoing, or pending (each with the seconds left before its refund) */
        get: operations["getV1MeTransfers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/transfers/pending": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The user's transfers waiting for an answer: incoming and outgoing (at most 100 each) */
        get: operations["getV1MeTransfersPending"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/wallet": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The wallet's committed balance in fen */
        get: operations["getWallet"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/red-packets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a red packet; the money waits in escrow, the shares are fixed and committed to now */
        post: operations["sendRedPacket"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/red-packets/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A packet: status, remaining, grabs, lucky king; shares and salt once finished or expired */
        get: operations["getRedPacket"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/red-packets/{id}/evidence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A signed record of a red packet, for its sender, its recipient and those who grabbed it */
        get: operations["getRedPacketEvidence"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/red-packets/{id}/grab": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Grab a share: the amount, or SOLD_OUT / ALREADY_GRABBED / EXPIRED / WRONG_PASSWORD … */
        post: operations["grabRedPacket"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/special-days": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The special days of a year (default: this year) and the caps each brings */
        get: operations["listSpecialDays"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/transfers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a transfer; the money waits in escrow until the recipient answers (24 h at most) */
        post: operations["createTransfer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/transfers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A transfer, for its sender or recipient */
        get: operations["getTransfer"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/transfers/{id}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The recipient takes the money */
        post: operations["acceptTransfer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/transfers/{id}/acknowledge-loan": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The recipient acknowledges a transfer declared as a loan (确认借款); the acknowledgement joins the evidence */
        post: operations["acknowledgeLoan"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/transfers/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The sender takes back a transfer not yet answered: the money returns at once, once; an accept after it gets 409 */
        post: operations["postV1TransfersIdCancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/transfers/{id}/decline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The recipient sends the money back */
        post: operations["declineTransfer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/transfers/{id}/evidence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A signed record of a transfer, for its sender or recipient (JSON, or ?format=html to print) */
        get: operations["getTransferEvidence"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/transfers/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** How a transfer would be read (gift or loan hints, warnings) and whether its rules hold; no money moves */
        post: operations["previewTransfer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/withdrawals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pay money out of the wallet to the payout rail (funding), under the transfer caps */
        post: operations["postV1Withdrawals"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Campaign: {
            amount?: {
                [key: string]: number;
            };
            budget?: number;
            claimedAmount?: number;
            claimedCount?: number;
            /** @description when an operator closed it before its end */
            closedAt?: string | null;
            createdAt?: string;
            /** @description The pre-queue draw: the SHA-256 of its seed from creation on; the seed (hex) and the pre-queue's size once drawn at the start (check with `hongbao verify-draw`) */
            draw?: {
                preQueueSize?: number;
                seed?: string;
                seedHash?: string;
            };
            endsAt?: string;
            id?: string;
            name?: string;
            /** @description since when an operator holds it */
            pausedAt?: string | null;
            perUserLimit?: number;
            /** @description budget not yet paid out (committed claims) */
            remainingBudget?: number;
            /** @description unspent budget returned to funding at the end */
            returned?: number;
            startsAt?: string;
            /** @enum {string} */
            status?: "scheduled" | "active" | "paused" | "sold_out" | "ended";
        };
        Error: {
            error: {
                /** @enum {string} */
                code: "BAD_REQUEST" | "MALFORMED_REQUEST" | "BAD_FRAMING" | "HEADERS_TOO_LARGE" | "URL_TOO_LONG" | "HOST_REQUIRED" | "HTTP_VERSION_NOT_SUPPORTED" | "METHOD_NOT_ALLOWED" | "EXPECTATION_FAILED" | "REQUEST_TIMEOUT" | "BAD_JSON" | "BODY_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "VALIDATION_FAILED" | "UNAUTHORIZED" | "INVALID_TOKEN" | "TOKEN_EXPIRED" | "TOKEN_REVOKED" | "EXCHANGE_NOT_CONFIGURED" | "SIGNING_KEY_IN_USE" | "KEY_NOT_FOUND" | "TOO_MANY_KEYS" | "COVER_INVALID" | "COVER_NOT_FOUND" | "TOO_MANY_COVERS" | "FORBIDDEN" | "NOT_FOUND" | "USER_NOT_FOUND" | "TRANSFER_NOT_FOUND" | "PHONE_TAKEN" | "INVALID_CODE" | "CODE_EXPIRED" | "TOO_MANY_ATTEMPTS" | "RATE_LIMITED" | "IDEMPOTENCY_KEY_REUSED" | "IDEMPOTENCY_KEY_INVALID" | "IDEMPOTENCY_KEY_REQUIRED" | "INSUFFICIENT_FUNDS" | "AMOUNT_BELOW_MIN" | "AMOUNT_ABOVE_MAX" | "MEMO_TOO_LONG" | "SELF_TRANSFER" | "DUE_DATE_WITHOUT_LOAN" | "NOT_RECIPIENT" | "NOT_SENDER" | "TRANSFER_NOT_PENDING" | "NOT_A_LOAN" | "TOO_MANY_PENDING" | "TOO_MANY_STREAMS" | "BALANCE_LIMIT" | "GROUP_NOT_FOUND" | "GROUP_TOO_LARGE" | "TOO_MANY_GROUPS" | "NOT_A_MEMBER" | "PACKET_NOT_FOUND" | "NOT_FOR_YOU" | "WRONG_PASSWORD" | "ALREADY_GRABBED" | "SOLD_OUT" | "EXPIRED" | "BAD_SPLIT" | "CAMPAIGN_NOT_FOUND" | "NOT_STARTED" | "ENDED" | "ALREADY_CLAIMED" | "CAMPAIGN_PAUSED" | "CAMPAIGN_NOT_PAUSED" | "DAILY_LIMIT_REACHED" | "FEATURE_OFF" | "BAD_AMOUNT_RULE" | "BAD_WINDOW" | "TICKET_INVALID" | "TICKET_NOT_YOURS" | "TICKET_USED" | "WEBHOOK_ENDPOINT_NOT_FOUND" | "WEBHOOK_TARGET_REFUSED" | "TOO_MANY_WEBHOOK_ENDPOINTS" | "BUSY" | "SHUTTING_DOWN" | "INTERNAL";
                details?: {
                    [key: string]: unknown;
                };
                message: string;
            };
        };
        Event: {
            createdAt: string;
            data: {
                object?: {
                    [key: string]: unknown;
                };
            };
            id: string;
            /** @enum {string} */
            object: "event";
            /** @enum {string} */
            type: "packet.received" | "packet.finished" | "packet.refunded" | "transfer.received" | "transfer.accepted" | "transfer.declined" | "transfer.refunded" | "transfer.cancelled" | "loan.acknowledged" | "campaign.started" | "campaign.sold_out" | "campaign.ended";
        };
        Group: {
            createdAt?: string;
            id?: string;
            memberIds?: string[];
            name?: string;
            owner?: string;
        };
        QueuePlace: {
            error?: {
                code?: string;
                details?: {
                    [key: string]: unknown;
                };
                message?: string;
            };
            estimatedWaitSeconds?: number;
            /**
             * @description pre: asked before the start, placed by the draw
             * @enum {string}
             */
            line?: "pre" | "fifo";
            /** @description the place in line since the start, 1 first: the pre-queue's drawn places, then arrivals in order */
            place?: number | null;
            /** @description 1 is the next to be decided; null in the pre-queue until the draw at the start */
            position?: number | null;
            /** @description come back after this long (Retry-After, in ms) */
            retryAfterMs?: number;
            /** @description send it back in the Queue-Ticket header */
            ticket?: string;
        };
        RedPacket: {
            amount: number;
            /** @description hex(sha256(id|shares joined by ,|salt)) */
            commitment: string;
            count: number;
            /** @description the cover (封面) the sender picked; its image is /v1/covers/{coverId} */
            coverId?: string | null;
            createdAt: string;
            expiresAt: string;
            grabs: {
                amount?: number;
                at?: string;
                userId?: string;
            }[];
            greeting?: string;
            groupId?: string | null;
            hasPassword?: boolean;
            id: string;
            /** @enum {string} */
            kind: "single" | "lucky" | "equal" | "exclusive";
            luckyKing: {
                amount?: number;
                at?: string;
                userId?: string;
            } | null;
            natureHints?: {
                /** @enum {string} */
                nature?: "gift" | "loan";
                reason?: string;
            }[];
            /** @description shares not yet grabbed */
            remaining: number;
            remainingAmount?: number;
            /** @description once finished or expired */
            salt?: string;
            sender?: string;
            settledAt?: string | null;
            /** @description once finished or expired */
            shares?: number[];
            /** @enum {string} */
            status: "active" | "finished" | "expired";
            to?: string | null;
            warnings?: string[];
        };
        Transfer: {
            amount: number;
            answeredAt?: string | null;
            createdAt: string;
            dueDate?: string | null;
            from: string;
            id: string;
            loanAcknowledgedAt?: string | null;
            memo: string;
            /** @enum {string} */
            nature: "gift" | "loan" | "repayment" | "unspecified";
            natureHints: {
                /** @enum {string} */
                nature?: "gift" | "loan";
                reason?: string;
            }[];
            refundAt?: string;
            /** @enum {string} */
            status: "pending" | "accepted" | "declined" | "refunded" | "cancelled";
            to: string;
            warnings: string[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    getV1AdminCampaigns: {
        parameters: {
            query?: {
                /** @description the id of the first item of a page: the page of newer items before it */
                endingBefore?: string;
                /** @description items in the page, 1 to 100 (default 20) */
                limit?: string;
                /** @description the id of the last item of the page before: the next, older, page */
                startingAfter?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Campaign"][];
                        hasMore: boolean;
                        /** @enum {string} */
                        object: "list";
                    };
                };
            };
        };
    };
    createCampaign: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    amount: {
                        fixed: number;
                    } | {
                        max: number;
                        min: number;
                    };
                    /** @description fen */
                    budget: number;
                    /**
                     * @description ISO 8601 with offset
                     * @example 2021-08-14T13:14:00.000+08:00
                     */
                    endsAt: string;
                    name: string;
                    perUserLimit?: number;
                    /**
                     * @description ISO 8601 with offset
                     * @example 2021-08-14T13:14:00.000+08:00
                     */
                    startsAt: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
        };
    };
    postV1AdminCampaignsIdClose: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description no fields */
        requestBody: {
            content: {
                "application/json": Record<string, never> | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
        };
    };
    postV1AdminCampaignsIdPause: {
        parameters: {
            query?: never;
            header?: {
                /** @description 1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`. */
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description no fields */
        requestBody: {
            content: {
                "application/json": Record<string, never> | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
        };
    };
    postV1AdminCampaignsIdResume: {
        parameters: {
            query?: never;
            header?: {
                /** @description 1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`. */
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description no fields */
        requestBody: {
            content: {
                "application/json": Record<string, never> | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
        };
    };
    addCover: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    image: string;
                    name: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        etag: string;
                        height: number;
                        id: string;
                        /** @enum {string} */
                        mediaType: "image/png" | "image/jpeg" | "image/webp";
                        name: string;
                        /** @description where the image is served, with cache headers */
                        url: string;
                        width: number;
                    };
                };
            };
        };
    };
    deposit: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description fen */
                    amount: number;
                    userId: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        amount?: number;
                        balance?: number;
                        userId?: string;
                    };
                };
            };
        };
    };
    listServiceKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        keys: {
                            createdAt: string;
                            id: string;
                            name: string;
                            /** @description until when the secret before the last rotation is still taken */
                            previousValidUntil: string | null;
                            /** @description ISO 8601 with offset */
                            revokedAt: string | null;
                            /** @description ISO 8601 with offset */
                            rotatedAt: string | null;
                            scopes: ("read" | "users:write" | "deposits:write" | "campaigns:write" | "special-days:write" | "covers:write" | "keys:write" | "webhooks:write" | "clock:write")[];
                        }[];
                    };
                };
            };
        };
    };
    createServiceKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    scopes: ("read" | "users:write" | "deposits:write" | "campaigns:write" | "special-days:write" | "covers:write" | "keys:write" | "webhooks:write" | "clock:write")[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: {
                            createdAt: string;
                            id: string;
                            name: string;
                            /** @description until when the secret before the last rotation is still taken */
                            previousValidUntil: string | null;
                            /** @description ISO 8601 with offset */
                            revokedAt: string | null;
                            /** @description ISO 8601 with offset */
                            rotatedAt: string | null;
                            scopes: ("read" | "users:write" | "deposits:write" | "campaigns:write" | "special-days:write" | "covers:write" | "keys:write" | "webhooks:write" | "clock:write")[];
                        };
                        /** @description the key to send as `Authorization: Bearer`; shown only in this answer */
                        secret: string;
                    };
                };
            };
        };
    };
    revokeServiceKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        id: string;
                        name: string;
                        /** @description until when the secret before the last rotation is still taken */
                        previousValidUntil: string | null;
                        /** @description ISO 8601 with offset */
                        revokedAt: string | null;
                        /** @description ISO 8601 with offset */
                        rotatedAt: string | null;
                        scopes: ("read" | "users:write" | "deposits:write" | "campaigns:write" | "special-days:write" | "covers:write" | "keys:write" | "webhooks:write" | "clock:write")[];
                    };
                };
            };
        };
    };
    rotateServiceKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    graceSeconds?: number;
                } | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: {
                            createdAt: string;
                            id: string;
                            name: string;
                            /** @description until when the secret before the last rotation is still taken */
                            previousValidUntil: string | null;
                            /** @description ISO 8601 with offset */
                            revokedAt: string | null;
                            /** @description ISO 8601 with offset */
                            rotatedAt: string | null;
                            scopes: ("read" | "users:write" | "deposits:write" | "campaigns:write" | "special-days:write" | "covers:write" | "keys:write" | "webhooks:write" | "clock:write")[];
                        };
                        /** @description the key to send as `Authorization: Bearer`; shown only in this answer */
                        secret: string;
                    };
                };
            };
        };
    };
    getLedgerHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        balanceSum?: number;
                        escrow?: number;
                        funding?: number;
                    };
                };
            };
        };
    };
    listSigningKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        keys: {
                            createdAt: string;
                            current: boolean;
                            kid: string;
                            /** @description ISO 8601 with offset */
                            retiredAt: string | null;
                        }[];
                    };
                };
            };
        };
    };
    rotateSigningKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        kid: string;
                    };
                };
            };
        };
    };
    retireSigningKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                kid: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        kid: string;
                        retired: boolean;
                    };
                };
            };
        };
    };
    addSpecialDay: {
        parameters: {
            query?: never;
            header?: {
                /** @description 1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    caps: {
                        shareCountMax?: number;
                        shareMax?: number;
                        singlePacketMax?: number;
                        transferMax?: number;
                    };
                    date?: string;
                    day?: number;
                    /** @enum {string} */
                    kind: "gregorian" | "lunar" | "date";
                    month?: number;
                    name: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        rule?: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
    };
    getV1AdminUsers: {
        parameters: {
            query?: {
                /** @description the id of the first item of a page: the page of newer items before it */
                endingBefore?: string;
                /** @description items in the page, 1 to 100 (default 20) */
                limit?: string;
                /** @description the id of the last item of the page before: the next, older, page */
                startingAfter?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: {
                            balance?: number;
                            createdAt?: string;
                            id?: string;
                            name?: string;
                            phone?: string;
                        }[];
                        hasMore: boolean;
                        /** @enum {string} */
                        object: "list";
                    };
                };
            };
        };
    };
    createUser: {
        parameters: {
            query?: never;
            header?: {
                /** @description 1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    /** @description digits, optionally with a leading + */
                    phone: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name?: string;
                        phone?: string;
                        token?: string;
                        userId?: string;
                    };
                };
            };
        };
    };
    logOutUserEverywhere: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        tokensRevoked: boolean;
                        userId: string;
                    };
                };
            };
        };
    };
    createUsers: {
        parameters: {
            query?: never;
            header?: {
                /** @description 1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    users: {
                        name: string;
                        /** @description digits, optionally with a leading + */
                        phone: string;
                    }[];
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        users?: {
                            phone?: string;
                            token?: string;
                            userId?: string;
                        }[];
                    };
                };
            };
        };
    };
    getV1AdminWebhookEndpoints: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data?: {
                            createdAt?: string;
                            deliveries?: {
                                delivered?: number;
                                failed?: number;
                                pending?: number;
                            };
                            eventTypes?: ("packet.received" | "packet.finished" | "packet.refunded" | "transfer.received" | "transfer.accepted" | "transfer.declined" | "transfer.refunded" | "transfer.cancelled" | "loan.acknowledged" | "campaign.started" | "campaign.sold_out" | "campaign.ended")[];
                            id?: string;
                            previousSecretExpiresAt?: string | null;
                            url?: string;
                        }[];
                        /** @enum {string} */
                        object?: "list";
                    };
                };
            };
        };
    };
    postV1AdminWebhookEndpoints: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    eventTypes?: ("packet.received" | "packet.finished" | "packet.refunded" | "transfer.received" | "transfer.accepted" | "transfer.declined" | "transfer.refunded" | "transfer.cancelled" | "loan.acknowledged" | "campaign.started" | "campaign.sold_out" | "campaign.ended")[];
                    url: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt?: string;
                        deliveries?: {
                            delivered?: number;
                            failed?: number;
                            pending?: number;
                        };
                        eventTypes?: ("packet.received" | "packet.finished" | "packet.refunded" | "transfer.received" | "transfer.accepted" | "transfer.declined" | "transfer.refunded" | "transfer.cancelled" | "loan.acknowledged" | "campaign.started" | "campaign.sold_out" | "campaign.ended")[];
                        id?: string;
                        previousSecretExpiresAt?: string | null;
                        secret?: string;
                        url?: string;
                    };
                };
            };
        };
    };
    getV1AdminWebhookEndpointsId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt?: string;
                        deliveries?: {
                            delivered?: number;
                            failed?: number;
                            pending?: number;
                        };
                        eventTypes?: ("packet.received" | "packet.finished" | "packet.refunded" | "transfer.received" | "transfer.accepted" | "transfer.declined" | "transfer.refunded" | "transfer.cancelled" | "loan.acknowledged" | "campaign.started" | "campaign.sold_out" | "campaign.ended")[];
                        id?: string;
                        previousSecretExpiresAt?: string | null;
                        url?: string;
                    };
                };
            };
        };
    };
    deleteV1AdminWebhookEndpointsId: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        deleted?: boolean;
                        id?: string;
                    };
                };
            };
        };
    };
    getV1AdminWebhookEndpointsIdDeliveries: {
        parameters: {
            query?: {
                /** @description 1 to 100 */
                limit?: string;
                startingAfter?: string;
                state?: "pending" | "delivered" | "failed";
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data?: {
                            attempts?: number;
                            deliveredAt?: string | null;
                            eventId?: string;
                            eventType?: string;
                            lastAttemptAt?: string | null;
                            lastError?: string | null;
                            lastStatus?: number | null;
                            nextAttemptAt?: string | null;
                            /** @enum {string} */
                            state?: "pending" | "delivered" | "failed";
                        }[];
                        hasMore?: boolean;
                        /** @enum {string} */
                        object?: "list";
                    };
                };
            };
        };
    };
    postV1AdminWebhookEndpointsIdRotateSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    overlapSeconds?: number;
                } | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt?: string;
                        deliveries?: {
                            delivered?: number;
                            failed?: number;
                            pending?: number;
                        };
                        eventTypes?: ("packet.received" | "packet.finished" | "packet.refunded" | "transfer.received" | "transfer.accepted" | "transfer.declined" | "transfer.refunded" | "transfer.cancelled" | "loan.acknowledged" | "campaign.started" | "campaign.sold_out" | "campaign.ended")[];
                        id?: string;
                        previousSecretExpiresAt?: string | null;
                        secret?: string;
                        url?: string;
                    };
                };
            };
        };
    };
    exchangeProductToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    assertion: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        token: string;
                        userId: string;
                    };
                };
            };
        };
    };
    getV1AuthOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        devCodes?: boolean;
                        signup?: boolean;
                    };
                };
            };
        };
    };
    sendLoginCode: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description digits, optionally with a leading + */
                    phone: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        expiresInSeconds?: number;
                        sent?: boolean;
                    };
                };
            };
        };
    };
    logIn: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    code: string;
                    name?: string;
                    /** @description digits, optionally with a leading + */
                    phone: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        token?: string;
                        userId?: string;
                    };
                };
            };
        };
    };
    getCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
        };
    };
    claimCampaign: {
        parameters: {
            query?: never;
            header?: {
                /** @description 1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`. */
                "idempotency-key"?: string;
                /** @description the ticket of an earlier answer (425 or 503): keeps the place in line */
                "queue-ticket"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description no fields */
        requestBody: {
            content: {
                "application/json": Record<string, never> | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        amount?: number;
                        campaignId?: string;
                        /** @enum {string} */
                        status?: "claimed";
                    };
                };
            };
            /** @description Default Response */
            425: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueuePlace"];
                };
            };
            /** @description Default Response */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueuePlace"];
                };
            };
        };
    };
    getV1CampaignsIdQueue: {
        parameters: {
            query?: never;
            header: {
                /** @description the ticket of an earlier answer (425 or 503): keeps the place in line */
                "queue-ticket": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description final: the claim's answer */
                        answer?: {
                            [key: string]: unknown;
                        };
                        estimatedWaitSeconds?: number;
                        line?: string;
                        place?: number | null;
                        position?: number | null;
                        retryAfterMs?: number;
                        /** @enum {string} */
                        state?: "waiting" | "your_turn" | "final";
                        /** @description final: the claim's answer status */
                        status?: number;
                        ticket?: string;
                    };
                };
            };
        };
    };
    listCovers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        covers: {
                            createdAt: string;
                            etag: string;
                            height: number;
                            id: string;
                            /** @enum {string} */
                            mediaType: "image/png" | "image/jpeg" | "image/webp";
                            name: string;
                            /** @description where the image is served, with cache headers */
                            url: string;
                            width: number;
                        }[];
                    };
                };
            };
        };
    };
    getCoverImage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": components["schemas"]["Error"];
                    "image/png": components["schemas"]["Error"];
                    "image/webp": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": components["schemas"]["Error"];
                    "image/png": components["schemas"]["Error"];
                    "image/webp": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                    "image/png": string;
                    "image/webp": string;
                };
            };
            /** @description the client's copy is current */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    getV1DevLoginCode: {
        parameters: {
            query: {
                /** @description digits, optionally with a leading + */
                phone: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        code?: string;
                    };
                };
            };
        };
    };
    getV1Events: {
        parameters: {
            query?: {
                /** @description 1 to 100 */
                limit?: string;
                order?: "asc" | "desc";
                startingAfter?: string;
                type?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Event"][];
                        hasMore: boolean;
                        /** @enum {string} */
                        object: "list";
                    };
                };
            };
        };
    };
    getEvidencePublicKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        algorithm?: string;
                        jwk?: {
                            [key: string]: unknown;
                        };
                        keyId?: string;
                        publicKeyPem?: string;
                    };
                };
            };
        };
    };
    createGroup: {
        parameters: {
            query?: never;
            header?: {
                /** @description 1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    memberIds: string[];
                    name: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Group"];
                };
            };
        };
    };
    getGroup: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Group"];
                };
            };
        };
    };
    getV1GroupsIdPackets: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items?: components["schemas"]["RedPacket"][];
                    };
                };
            };
        };
    };
    getV1GroupsIdRedPackets: {
        parameters: {
            query?: {
                /** @description the id of the first item of a page: the page of newer items before it */
                endingBefore?: string;
                /** @description items in the page, 1 to 100 (default 20) */
                limit?: string;
                /** @description the id of the last item of the page before: the next, older, page */
                startingAfter?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["RedPacket"][];
                        hasMore: boolean;
                        /** @enum {string} */
                        object: "list";
                    };
                };
            };
        };
    };
    getLimits: {
        parameters: {
            query?: {
                /**
                 * @description ISO 8601 with offset
                 * @example 2021-08-14T13:14:00.000+08:00
                 */
                at?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        at?: string;
                        /** @description festival features, on or off at this instant */
                        features?: {
                            passwordPackets?: boolean;
                        };
                        memoLengthMax?: number;
                        /** @description fen one user may put in packets a day */
                        packetAmountPerDayMax?: number | null;
                        /** @description red packets one user may send a day */
                        packetsPerDayMax?: number | null;
                        reasons?: string[];
                        redPacketExpirySeconds?: number;
                        shareCountMax?: number;
                        shareCountMin?: number;
                        shareMax?: number;
                        shareMin?: number;
                        singlePacketMax?: number;
                        singlePacketMin?: number;
                        specialDay?: {
                            date?: string;
                            name?: string;
                        } | null;
                        /** @description with a user's token: what the caller sent today and what is left (null: no cap) */
                        today?: {
                            amountLeft?: number | null;
                            amountSent?: number;
                            date?: string;
                            packetsLeft?: number | null;
                            packetsSent?: number;
                        };
                        transferMax?: number;
                        transferMin?: number;
                        transferRefundSeconds?: number;
                    };
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name?: string;
                        phone?: string;
                        userId?: string;
                    };
                };
            };
        };
    };
    getV1MeEvents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An event stream (text/event-stream) that stays open */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
        };
    };
    getV1MeGroups: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items?: components["schemas"]["Group"][];
                    };
                };
            };
        };
    };
    logOutEverywhere: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        tokensRevoked: boolean;
                        userId: string;
                    };
                };
            };
        };
    };
    getV1MeRedPackets: {
        parameters: {
            query?: {
                /** @description the id of the first item of a page: the page of newer items before it */
                endingBefore?: string;
                /** @description items in the page, 1 to 100 (default 20) */
                limit?: string;
                /** @description sent (default) or received */
                role?: "sent" | "received";
                /** @description the id of the last item of the page before: the next, older, page */
                startingAfter?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["RedPacket"][];
                        hasMore: boolean;
                        /** @enum {string} */
                        object: "list";
                    };
                };
            };
        };
    };
    getStatement: {
        parameters: {
            query?: {
                /** @description nextCursor of the page before */
                cursor?: string;
                /** @description 1 to 200 */
                limit?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items?: {
                            amount?: number;
                            at?: string;
                            balance?: number;
                            id?: string;
                            kind?: string;
                            postingId?: string;
                            ref?: string;
                        }[];
                        nextCursor?: string | null;
                    };
                };
            };
        };
    };
    getV1MeTransfers: {
        parameters: {
            query?: {
                /** @description the id of the first item of a page: the page of newer items before it */
                endingBefore?: string;
                /** @description all (default), incoming, outgoing, pending */
                filter?: "all" | "incoming" | "outgoing" | "pending";
                /** @description items in the page, 1 to 100 (default 20) */
                limit?: string;
                /** @description the id of the last item of the page before: the next, older, page */
                startingAfter?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: (components["schemas"]["Transfer"] & {
                            refundInSeconds?: number | null;
                        })[];
                        hasMore: boolean;
                        /** @enum {string} */
                        object: "list";
                    };
                };
            };
        };
    };
    getV1MeTransfersPending: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        incoming?: components["schemas"]["Transfer"][];
                        outgoing?: components["schemas"]["Transfer"][];
                    };
                };
            };
        };
    };
    getWallet: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        balance?: number;
                        userId?: string;
                    };
                };
            };
        };
    };
    sendRedPacket: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description fen */
                    amount: number;
                    count?: number;
                    /** @description a cover of GET /v1/covers (封面) */
                    coverId?: string;
                    greeting?: string;
                    groupId?: string;
                    /** @enum {string} */
                    kind: "single" | "lucky" | "equal" | "exclusive";
                    memberId?: string;
                    password?: string;
                    to?: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RedPacket"];
                };
            };
        };
    };
    getRedPacket: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RedPacket"];
                };
            };
        };
    };
    getRedPacketEvidence: {
        parameters: {
            query?: {
                /** @description html: a page to print */
                format?: "json" | "html";
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    grabRedPacket: {
        parameters: {
            query?: never;
            header?: {
                /** @description 1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`. */
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    password?: string;
                } | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        amount?: number;
                        at?: string;
                        packetId?: string;
                        remaining?: number;
                        status?: string;
                    };
                };
            };
        };
    };
    listSpecialDays: {
        parameters: {
            query?: {
                year?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        days?: {
                            caps?: {
                                [key: string]: number;
                            };
                            date?: string;
                            name?: string;
                            reasons?: string[];
                        }[];
                        year?: number;
                    };
                };
            };
        };
    };
    createTransfer: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description fen */
                    amount: number;
                    dueDate?: string;
                    memo?: string;
                    /** @enum {string} */
                    nature?: "gift" | "loan" | "repayment" | "unspecified";
                    to: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transfer"];
                };
            };
        };
    };
    getTransfer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transfer"];
                };
            };
        };
    };
    acceptTransfer: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description no fields */
        requestBody: {
            content: {
                "application/json": Record<string, never> | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transfer"];
                };
            };
        };
    };
    acknowledgeLoan: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description no fields */
        requestBody: {
            content: {
                "application/json": Record<string, never> | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transfer"];
                };
            };
        };
    };
    postV1TransfersIdCancel: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description no fields */
        requestBody: {
            content: {
                "application/json": Record<string, never> | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transfer"];
                };
            };
        };
    };
    declineTransfer: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description no fields */
        requestBody: {
            content: {
                "application/json": Record<string, never> | null;
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Transfer"];
                };
            };
        };
    };
    getTransferEvidence: {
        parameters: {
            query?: {
                /** @description html: a page to print */
                format?: "json" | "html";
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    previewTransfer: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description fen */
                    amount: number;
                    dueDate?: string;
                    memo?: string;
                    /** @enum {string} */
                    nature?: "gift" | "loan" | "repayment" | "unspecified";
                    to: string;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        disclaimer?: string;
                        limits?: {
                            [key: string]: unknown;
                        };
                        natureHints?: {
                            /** @enum {string} */
                            nature?: "gift" | "loan";
                            reason?: string;
                        }[];
                        warnings?: string[];
                    };
                };
            };
        };
    };
    postV1Withdrawals: {
        parameters: {
            query?: never;
            header: {
                /** @description Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`. */
                "idempotency-key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description fen */
                    amount: number;
                };
            };
        };
        responses: {
            /** @description Default Response */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        amount?: number;
                        /** @description the wallet after the withdrawal */
                        balance?: number;
                        createdAt?: string;
                        id?: string;
                        /** @enum {string} */
                        status?: "paid";
                        userId?: string;
                    };
                };
            };
        };
    };
}
type FlattenedDeepRequired<T> = {
    [K in keyof T]-?: FlattenedDeepRequired<T[K] extends unknown[] | undefined | null ? Extract<T[K], unknown[]>[number] : T[K]>;
};
type ReadonlyArray<T> = [
    Exclude<T, undefined>
] extends [
    unknown[]
] ? Readonly<Exclude<T, undefined>> : Readonly<Exclude<T, undefined>[]>;
export const pathsV1AdminCampaignsGetResponses200ContentApplicationJsonObjectValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/campaigns"]["get"]["responses"]["200"]["content"]["application/json"]["object"]> = ["list"];
export const pathsV1AdminCoversPostResponses201ContentApplicationJsonMediaTypeValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/covers"]["post"]["responses"]["201"]["content"]["application/json"]["mediaType"]> = ["image/png", "image/jpeg", "image/webp"];
export const pathsV1AdminKeysGetResponses200ContentApplicationJsonKeysScopesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/keys"]["get"]["responses"]["200"]["content"]["application/json"]["keys"]["scopes"]> = ["read", "users:write", "deposits:write", "campaigns:write", "special-days:write", "covers:write", "keys:write", "webhooks:write", "clock:write"];
export const pathsV1AdminKeysPostRequestBodyContentApplicationJsonScopesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/keys"]["post"]["requestBody"]["content"]["application/json"]["scopes"]> = ["read", "users:write", "deposits:write", "campaigns:write", "special-days:write", "covers:write", "keys:write", "webhooks:write", "clock:write"];
export const pathsV1AdminKeysPostResponses201ContentApplicationJsonKeyScopesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/keys"]["post"]["responses"]["201"]["content"]["application/json"]["key"]["scopes"]> = ["read", "users:write", "deposits:write", "campaigns:write", "special-days:write", "covers:write", "keys:write", "webhooks:write", "clock:write"];
export const pathsV1AdminKeysIdRevokePostResponses200ContentApplicationJsonScopesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/keys/{id}/revoke"]["post"]["responses"]["200"]["content"]["application/json"]["scopes"]> = ["read", "users:write", "deposits:write", "campaigns:write", "special-days:write", "covers:write", "keys:write", "webhooks:write", "clock:write"];
export const pathsV1AdminKeysIdRotatePostResponses200ContentApplicationJsonKeyScopesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/keys/{id}/rotate"]["post"]["responses"]["200"]["content"]["application/json"]["key"]["scopes"]> = ["read", "users:write", "deposits:write", "campaigns:write", "special-days:write", "covers:write", "keys:write", "webhooks:write", "clock:write"];
export const pathsV1AdminSpecialDaysPostRequestBodyContentApplicationJsonKindValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/special-days"]["post"]["requestBody"]["content"]["application/json"]["kind"]> = ["gregorian", "lunar", "date"];
export const pathsV1AdminUsersGetResponses200ContentApplicationJsonObjectValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/users"]["get"]["responses"]["200"]["content"]["application/json"]["object"]> = ["list"];
export const pathsV1AdminWebhookEndpointsGetResponses200ContentApplicationJsonDataEventTypesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints"]["get"]["responses"]["200"]["content"]["application/json"]["data"]["eventTypes"]> = ["packet.received", "packet.finished", "packet.refunded", "transfer.received", "transfer.accepted", "transfer.declined", "transfer.refunded", "transfer.cancelled", "loan.acknowledged", "campaign.started", "campaign.sold_out", "campaign.ended"];
export const pathsV1AdminWebhookEndpointsGetResponses200ContentApplicationJsonObjectValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints"]["get"]["responses"]["200"]["content"]["application/json"]["object"]> = ["list"];
export const pathsV1AdminWebhookEndpointsPostRequestBodyContentApplicationJsonEventTypesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints"]["post"]["requestBody"]["content"]["application/json"]["eventTypes"]> = ["packet.received", "packet.finished", "packet.refunded", "transfer.received", "transfer.accepted", "transfer.declined", "transfer.refunded", "transfer.cancelled", "loan.acknowledged", "campaign.started", "campaign.sold_out", "campaign.ended"];
export const pathsV1AdminWebhookEndpointsPostResponses201ContentApplicationJsonEventTypesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints"]["post"]["responses"]["201"]["content"]["application/json"]["eventTypes"]> = ["packet.received", "packet.finished", "packet.refunded", "transfer.received", "transfer.accepted", "transfer.declined", "transfer.refunded", "transfer.cancelled", "loan.acknowledged", "campaign.started", "campaign.sold_out", "campaign.ended"];
export const pathsV1AdminWebhookEndpointsIdGetResponses200ContentApplicationJsonEventTypesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["eventTypes"]> = ["packet.received", "packet.finished", "packet.refunded", "transfer.received", "transfer.accepted", "transfer.declined", "transfer.refunded", "transfer.cancelled", "loan.acknowledged", "campaign.started", "campaign.sold_out", "campaign.ended"];
export const pathsV1AdminWebhookEndpointsIdDeliveriesGetParametersQueryStateValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints/{id}/deliveries"]["get"]["parameters"]["query"]["state"]> = ["pending", "delivered", "failed"];
export const pathsV1AdminWebhookEndpointsIdDeliveriesGetResponses200ContentApplicationJsonDataStateValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints/{id}/deliveries"]["get"]["responses"]["200"]["content"]["application/json"]["data"]["state"]> = ["pending", "delivered", "failed"];
export const pathsV1AdminWebhookEndpointsIdDeliveriesGetResponses200ContentApplicationJsonObjectValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints/{id}/deliveries"]["get"]["responses"]["200"]["content"]["application/json"]["object"]> = ["list"];
export const pathsV1AdminWebhookEndpointsIdRotateSecretPostResponses200ContentApplicationJsonEventTypesValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/admin/webhook-endpoints/{id}/rotate-secret"]["post"]["responses"]["200"]["content"]["application/json"]["eventTypes"]> = ["packet.received", "packet.finished", "packet.refunded", "transfer.received", "transfer.accepted", "transfer.declined", "transfer.refunded", "transfer.cancelled", "loan.acknowledged", "campaign.started", "campaign.sold_out", "campaign.ended"];
export const pathsV1CampaignsIdClaimPostResponses200ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/campaigns/{id}/claim"]["post"]["responses"]["200"]["content"]["application/json"]["status"]> = ["claimed"];
export const pathsV1CampaignsIdQueueGetResponses200ContentApplicationJsonStateValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/campaigns/{id}/queue"]["get"]["responses"]["200"]["content"]["application/json"]["state"]> = ["waiting", "your_turn", "final"];
export const pathsV1CoversGetResponses200ContentApplicationJsonCoversMediaTypeValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/covers"]["get"]["responses"]["200"]["content"]["application/json"]["covers"]["mediaType"]> = ["image/png", "image/jpeg", "image/webp"];
export const pathsV1EventsGetParametersQueryOrderValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/events"]["get"]["parameters"]["query"]["order"]> = ["asc", "desc"];
export const pathsV1EventsGetResponses200ContentApplicationJsonObjectValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/events"]["get"]["responses"]["200"]["content"]["application/json"]["object"]> = ["list"];
export const pathsV1GroupsIdRedPacketsGetResponses200ContentApplicationJsonObjectValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/groups/{id}/red-packets"]["get"]["responses"]["200"]["content"]["application/json"]["object"]> = ["list"];
export const pathsV1MeRedPacketsGetParametersQueryRoleValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/me/red-packets"]["get"]["parameters"]["query"]["role"]> = ["sent", "received"];
export const pathsV1MeRedPacketsGetResponses200ContentApplicationJsonObjectValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/me/red-packets"]["get"]["responses"]["200"]["content"]["application/json"]["object"]> = ["list"];
export const pathsV1MeTransfersGetParametersQueryFilterValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/me/transfers"]["get"]["parameters"]["query"]["filter"]> = ["all", "incoming", "outgoing", "pending"];
export const pathsV1MeTransfersGetResponses200ContentApplicationJsonObjectValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/me/transfers"]["get"]["responses"]["200"]["content"]["application/json"]["object"]> = ["list"];
export const pathsV1RedPacketsPostRequestBodyContentApplicationJsonKindValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/red-packets"]["post"]["requestBody"]["content"]["application/json"]["kind"]> = ["single", "lucky", "equal", "exclusive"];
export const pathsV1RedPacketsIdEvidenceGetParametersQueryFormatValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/red-packets/{id}/evidence"]["get"]["parameters"]["query"]["format"]> = ["json", "html"];
export const pathsV1TransfersPostRequestBodyContentApplicationJsonNatureValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/transfers"]["post"]["requestBody"]["content"]["application/json"]["nature"]> = ["gift", "loan", "repayment", "unspecified"];
export const pathsV1TransfersIdEvidenceGetParametersQueryFormatValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/transfers/{id}/evidence"]["get"]["parameters"]["query"]["format"]> = ["json", "html"];
export const pathsV1TransfersPreviewPostRequestBodyContentApplicationJsonNatureValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/transfers/preview"]["post"]["requestBody"]["content"]["application/json"]["nature"]> = ["gift", "loan", "repayment", "unspecified"];
export const pathsV1TransfersPreviewPostResponses200ContentApplicationJsonNatureHintsNatureValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/transfers/preview"]["post"]["responses"]["200"]["content"]["application/json"]["natureHints"]["nature"]> = ["gift", "loan"];
export const pathsV1WithdrawalsPostResponses201ContentApplicationJsonStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/v1/withdrawals"]["post"]["responses"]["201"]["content"]["application/json"]["status"]> = ["paid"];
export const campaignStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Campaign"]["status"]> = ["scheduled", "active", "paused", "sold_out", "ended"];
export const errorErrorCodeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Error"]["error"]["code"]> = ["BAD_REQUEST", "MALFORMED_REQUEST", "BAD_FRAMING", "HEADERS_TOO_LARGE", "URL_TOO_LONG", "HOST_REQUIRED", "HTTP_VERSION_NOT_SUPPORTED", "METHOD_NOT_ALLOWED", "EXPECTATION_FAILED", "REQUEST_TIMEOUT", "BAD_JSON", "BODY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "VALIDATION_FAILED", "UNAUTHORIZED", "INVALID_TOKEN", "TOKEN_EXPIRED", "TOKEN_REVOKED", "EXCHANGE_NOT_CONFIGURED", "SIGNING_KEY_IN_USE", "KEY_NOT_FOUND", "TOO_MANY_KEYS", "COVER_INVALID", "COVER_NOT_FOUND", "TOO_MANY_COVERS", "FORBIDDEN", "NOT_FOUND", "USER_NOT_FOUND", "TRANSFER_NOT_FOUND", "PHONE_TAKEN", "INVALID_CODE", "CODE_EXPIRED", "TOO_MANY_ATTEMPTS", "RATE_LIMITED", "IDEMPOTENCY_KEY_REUSED", "IDEMPOTENCY_KEY_INVALID", "IDEMPOTENCY_KEY_REQUIRED", "INSUFFICIENT_FUNDS", "AMOUNT_BELOW_MIN", "AMOUNT_ABOVE_MAX", "MEMO_TOO_LONG", "SELF_TRANSFER", "DUE_DATE_WITHOUT_LOAN", "NOT_RECIPIENT", "NOT_SENDER", "TRANSFER_NOT_PENDING", "NOT_A_LOAN", "TOO_MANY_PENDING", "TOO_MANY_STREAMS", "BALANCE_LIMIT", "GROUP_NOT_FOUND", "GROUP_TOO_LARGE", "TOO_MANY_GROUPS", "NOT_A_MEMBER", "PACKET_NOT_FOUND", "NOT_FOR_YOU", "WRONG_PASSWORD", "ALREADY_GRABBED", "SOLD_OUT", "EXPIRED", "BAD_SPLIT", "CAMPAIGN_NOT_FOUND", "NOT_STARTED", "ENDED", "ALREADY_CLAIMED", "CAMPAIGN_PAUSED", "CAMPAIGN_NOT_PAUSED", "DAILY_LIMIT_REACHED", "FEATURE_OFF", "BAD_AMOUNT_RULE", "BAD_WINDOW", "TICKET_INVALID", "TICKET_NOT_YOURS", "TICKET_USED", "WEBHOOK_ENDPOINT_NOT_FOUND", "WEBHOOK_TARGET_REFUSED", "TOO_MANY_WEBHOOK_ENDPOINTS", "BUSY", "SHUTTING_DOWN", "INTERNAL"];
export const eventObjectValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Event"]["object"]> = ["event"];
export const eventTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Event"]["type"]> = ["packet.received", "packet.finished", "packet.refunded", "transfer.received", "transfer.accepted", "transfer.declined", "transfer.refunded", "transfer.cancelled", "loan.acknowledged", "campaign.started", "campaign.sold_out", "campaign.ended"];
export const queuePlaceLineValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["QueuePlace"]["line"]> = ["pre", "fifo"];
export const redPacketKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["RedPacket"]["kind"]> = ["single", "lucky", "equal", "exclusive"];
export const redPacketNatureHintsNatureValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["RedPacket"]["natureHints"]["nature"]> = ["gift", "loan"];
export const redPacketStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["RedPacket"]["status"]> = ["active", "finished", "expired"];
export const transferNatureValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Transfer"]["nature"]> = ["gift", "loan", "repayment", "unspecified"];
export const transferNatureHintsNatureValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Transfer"]["natureHints"]["nature"]> = ["gift", "loan"];
export const transferStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Transfer"]["status"]> = ["pending", "accepted", "declined", "refunded", "cancelled"];
