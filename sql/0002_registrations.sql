-- Softphone registrations: where each agent's softphones can be reached, as
-- their REGISTER requests said, until the binding expires.

CREATE TABLE registrations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL CONSTRAINT registrations_agent_id_fkey
    REFERENCES agents (id) ON DELETE CASCADE,
  contact_uri text NOT NULL
    CONSTRAINT registrations_contact_uri_check CHECK (length(contact_uri) BETWEEN 1 AND 2048),
  expires_at timestamptz NOT NULL,
  source_address text NOT NULL,
  source_port integer NOT NULL
    CONSTRAINT registrations_source_port_check CHECK (source_port BETWEEN 1 AND 65535),
  transport text NOT NULL
    CONSTRAINT registrations_transport_check CHECK (transport IN ('udp', 'tcp', 'tls', 'ws', 'wss')),
  user_agent text,
  -- Call-ID and CSeq of the REGISTER that wrote the binding (RFC 3261 10.3:
  -- a request with the same Call-ID and a lower CSeq is stale).
  sip_call_id text,
  cseq integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT registrations_agent_contact_key UNIQUE (agent_id, contact_uri)
);
CREATE INDEX registrations_expires_at_idx ON registrations (expires_at);
