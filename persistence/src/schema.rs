// @generated automatically by Diesel CLI.

diesel::table! {
    actions (id) {
        id -> Uuid,
        case_id -> Nullable<Uuid>,
        description -> Text,
        owner_agency_id -> Uuid,
        due_on -> Date,
        from_intervention -> Nullable<Uuid>,
        status -> Text,
        closure_note -> Nullable<Text>,
        closed_by -> Nullable<Text>,
        closed_by_agency -> Nullable<Uuid>,
        closed_on -> Nullable<Date>,
        closed_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        challenge_id -> Nullable<Uuid>,
        meeting_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    agencies (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        active -> Bool,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        notify_email -> Nullable<Text>,
        notify_digest -> Text,
    }
}

diesel::table! {
    audit_chain (seq) {
        seq -> Int8,
        audit_id -> Uuid,
        prev_hash -> Bytea,
        hash -> Bytea,
        chained_at -> Timestamptz,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> Int8,
        head_hash -> Bytea,
        signed_at -> Timestamptz,
        public_key -> Bytea,
        signature -> Bytea,
    }
}

diesel::table! {
    audit_details (audit_id) {
        audit_id -> Uuid,
        case_id -> Nullable<Uuid>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        redacted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_pending (audit_id) {
        audit_id -> Uuid,
    }
}

diesel::table! {
    audit_records (id) {
        id -> Uuid,
        recorded_at -> Timestamptz,
        action -> Text,
        outcome -> Text,
        agent_sub -> Text,
        agent_role -> Text,
        agent_agency_id -> Nullable<Uuid>,
        entity_type -> Text,
        entity_id -> Nullable<Uuid>,
        case_id -> Nullable<Uuid>,
        changed_fields -> Array<Text>,
        request_id -> Text,
        client_address -> Nullable<Text>,
        purpose -> Nullable<Text>,
        source -> Nullable<Text>,
        details_hash -> Nullable<Bytea>,
    }
}

diesel::table! {
    case_events (id) {
        id -> Uuid,
        case_id -> Uuid,
        seq -> Int8,
        #[sql_name = "type"]
        type_ -> Text,
        replacement_type -> Nullable<Text>,
        event_date -> Nullable<Date>,
        outcome -> Nullable<Text>,
        competent_authority -> Nullable<Text>,
        ground -> Nullable<Text>,
        closure_reason -> Nullable<Text>,
        first_responder_agency_id -> Nullable<Uuid>,
        supersedes -> Nullable<Uuid>,
        correction_reason -> Nullable<Text>,
        recorded_at -> Timestamptz,
        recorded_by -> Text,
    }
}

diesel::table! {
    case_team (case_id, agency_id) {
        case_id -> Uuid,
        agency_id -> Uuid,
        role -> Nullable<Text>,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    cases (id) {
        id -> Uuid,
        reference -> Text,
        known_as -> Text,
        birth_year -> Nullable<Int4>,
        date_of_birth -> Nullable<Date>,
        presumed_child -> Bool,
        gender -> Text,
        nationalities -> Array<Text>,
        languages -> Array<Text>,
        interpreter_needed -> Bool,
        exploitation_types -> Array<Text>,
        county_lines -> Bool,
        jurisdiction -> Text,
        local_authority -> Text,
        nrm_consent -> Text,
        data_sharing -> Text,
        consent_recorded_on -> Date,
        consent_recorded_by -> Text,
        lead_coordinator -> Text,
        stage -> Text,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        stage_advances_on -> Nullable<Date>,
        record_key -> Int8,
        first_event_on -> Nullable<Date>,
    }
}

diesel::table! {
    deadlines (id) {
        id -> Uuid,
        case_id -> Uuid,
        case_reference -> Text,
        rule_id -> Text,
        rule_version -> Text,
        kind -> Text,
        trigger_event_id -> Nullable<Uuid>,
        due_on -> Date,
        met_on -> Nullable<Date>,
        explanation -> Text,
        waived_at -> Nullable<Timestamptz>,
        waived_by -> Nullable<Text>,
        waived_reason -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        action_id -> Nullable<Uuid>,
        support_ended_on -> Nullable<Date>,
    }
}

diesel::table! {
    idempotency_keys (principal, key) {
        principal -> Text,
        key -> Text,
        request_hash -> Bytea,
        response_status -> Int2,
        response_body -> Jsonb,
        response_location -> Nullable<Text>,
        response_etag -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    interventions (id) {
        id -> Uuid,
        case_id -> Uuid,
        channel -> Text,
        direction -> Text,
        counterpart_agency_id -> Uuid,
        occurred_at -> Timestamptz,
        need_domain -> Text,
        need_id -> Nullable<Uuid>,
        summary -> Text,
        duration_minutes -> Int4,
        recorded_by -> Text,
        recorded_by_agency -> Uuid,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    needs (id) {
        id -> Uuid,
        case_id -> Uuid,
        domain -> Text,
        identified_on -> Date,
        status -> Text,
        met_on -> Nullable<Date>,
        version -> Int4,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    outcome_interventions (outcome_id, intervention_id) {
        outcome_id -> Uuid,
        intervention_id -> Uuid,
    }
}

diesel::table! {
    outcomes (id) {
        id -> Uuid,
        case_id -> Uuid,
        outcome -> Text,
        achieved_on -> Date,
        evidence -> Nullable<Text>,
        score -> Nullable<Int2>,
        recorded_by -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::joinable!(actions -> cases (case_id));
diesel::joinable!(actions -> interventions (from_intervention));
diesel::joinable!(case_events -> agencies (first_responder_agency_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(case_team -> agencies (agency_id));
diesel::joinable!(case_team -> cases (case_id));
diesel::joinable!(deadlines -> actions (action_id));
diesel::joinable!(deadlines -> case_events (trigger_event_id));
diesel::joinable!(deadlines -> cases (case_id));
diesel::joinable!(interventions -> cases (case_id));
diesel::joinable!(interventions -> needs (need_id));
diesel::joinable!(needs -> cases (case_id));
diesel::joinable!(outcome_interventions -> interventions (intervention_id));
diesel::joinable!(outcome_interventions -> outcomes (outcome_id));
diesel::joinable!(outcomes -> cases (case_id));

diesel::table! {
    rule_book_applied (singleton) {
        singleton -> Bool,
        fingerprint -> Text,
        versions -> Text,
        applied_at -> Timestamptz,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Uuid,
        name -> Text,
        role -> Text,
        agency_id -> Nullable<Uuid>,
        secret_hash -> Bytea,
        created_by -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    enrolments (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        pending_password_hash -> Nullable<Text>,
        pending_totp_secret -> Nullable<Bytea>,
        pending_recovery -> Nullable<Array<Bytea>>,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    issued_tokens (jti) {
        jti -> Uuid,
        kind -> Text,
        subject -> Text,
        client_id -> Nullable<Uuid>,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    recovery_codes (user_id, code_hash) {
        user_id -> Uuid,
        code_hash -> Bytea,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Bytea,
        handle -> Uuid,
        user_id -> Uuid,
        csrf_hash -> Bytea,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        client_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    sign_in_failures (client_address, at) {
        client_address -> Text,
        at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        display_name -> Text,
        role -> Text,
        agency_id -> Nullable<Uuid>,
        active -> Bool,
        password_hash -> Nullable<Text>,
        totp_secret -> Nullable<Bytea>,
        totp_last_step -> Nullable<Int8>,
        enrolled_at -> Nullable<Timestamptz>,
        failed_sign_ins -> Int4,
        locked_until -> Nullable<Timestamptz>,
        last_sign_in_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        digest -> Text,
        oidc_issuer -> Nullable<Text>,
        oidc_subject -> Nullable<Text>,
    }
}

diesel::table! {
    agency_identity_providers (agency_id) {
        agency_id -> Uuid,
        issuer -> Text,
        client_id -> Text,
        client_secret -> Text,
        updated_by -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    oidc_sign_ins (state_hash) {
        state_hash -> Bytea,
        agency_id -> Uuid,
        nonce -> Text,
        code_verifier -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(agency_identity_providers -> agencies (agency_id));

diesel::joinable!(enrolments -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(api_clients -> agencies (agency_id));

diesel::table! {
    asks (id) {
        id -> Uuid,
        case_id -> Uuid,
        intervention_id -> Uuid,
        agency_id -> Uuid,
        ask_on -> Date,
        asked_by -> Text,
        asked_by_agency -> Nullable<Uuid>,
        created_at -> Timestamptz,
        answer_status -> Nullable<Text>,
        answer_text -> Nullable<Text>,
        answered_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    calendar_feeds (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    inbox_links (token_hash) {
        token_hash -> Bytea,
        action_id -> Nullable<Uuid>,
        ask_id -> Nullable<Uuid>,
        agency_id -> Uuid,
        recipient -> Text,
        user_id -> Nullable<Uuid>,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Uuid,
        channel -> Text,
        topic -> Text,
        agency_id -> Nullable<Uuid>,
        endpoint_id -> Nullable<Uuid>,
        recipient -> Nullable<Text>,
        dedupe -> Nullable<Text>,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        latency_ms -> Nullable<Int4>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        agency_id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        secret -> Text,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(asks -> cases (case_id));
diesel::joinable!(inbox_links -> agencies (agency_id));
diesel::joinable!(calendar_feeds -> users (user_id));
diesel::joinable!(inbox_links -> users (user_id));
diesel::joinable!(asks -> interventions (intervention_id));
diesel::joinable!(outbox -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_endpoints -> agencies (agency_id));

diesel::table! {
    challenges (id) {
        id -> Uuid,
        number -> Int8,
        title -> Text,
        description -> Text,
        urgency -> Text,
        sectors -> Array<Text>,
        agencies -> Array<Uuid>,
        status -> Text,
        note -> Nullable<Text>,
        raised_by -> Text,
        raised_by_agency -> Nullable<Uuid>,
        raised_at -> Timestamptz,
        resolved_on -> Nullable<Date>,
        escalated_on -> Nullable<Date>,
        version -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    challenge_cases (challenge_id, case_id) {
        challenge_id -> Uuid,
        case_id -> Uuid,
        linked_by -> Text,
        linked_at -> Timestamptz,
    }
}

diesel::table! {
    meetings (id) {
        id -> Uuid,
        title -> Text,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        place -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
        version -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    challenge_decisions (id) {
        id -> Uuid,
        challenge_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        decided_by -> Text,
        decided_by_agency -> Nullable<Uuid>,
        decided_at -> Timestamptz,
        meeting_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    meeting_notes (id) {
        id -> Uuid,
        meeting_id -> Uuid,
        challenge_id -> Nullable<Uuid>,
        note -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::joinable!(challenge_cases -> challenges (challenge_id));
diesel::joinable!(challenge_cases -> cases (case_id));
diesel::joinable!(challenge_decisions -> challenges (challenge_id));
diesel::joinable!(meeting_notes -> meetings (meeting_id));
diesel::joinable!(actions -> challenges (challenge_id));

diesel::table! {
    forum_networks (id) {
        id -> Uuid,
        name -> Text,
        public_key -> Bytea,
        registered_by -> Text,
        registered_at -> Timestamptz,
    }
}

diesel::table! {
    forum_bundles (id) {
        id -> Uuid,
        network_id -> Uuid,
        period_from -> Date,
        period_to -> Date,
        content -> Jsonb,
        signature -> Bytea,
        imported_by -> Text,
        imported_at -> Timestamptz,
    }
}

diesel::joinable!(forum_bundles -> forum_networks (network_id));

diesel::table! {
    subject_access_requests (id) {
        id -> Uuid,
        case_id -> Uuid,
        received_on -> Date,
        due_on -> Date,
        recorded_by -> Text,
        recorded_at -> Timestamptz,
        answered_on -> Nullable<Date>,
        answered_by -> Nullable<Text>,
    }
}

diesel::joinable!(subject_access_requests -> cases (case_id));

diesel::table! {
    case_imports (id) {
        id -> Uuid,
        uploaded_by -> Text,
        uploaded_at -> Timestamptz,
        agency_id -> Uuid,
        lead_coordinator -> Text,
        mapping -> Nullable<Jsonb>,
        loaded_at -> Nullable<Timestamptz>,
        created -> Nullable<Int4>,
        skipped -> Nullable<Int4>,
    }
}

diesel::table! {
    case_import_files (import_id, seq) {
        import_id -> Uuid,
        seq -> Int4,
        name -> Text,
        sha256 -> Bytea,
        size -> Int4,
        content -> Nullable<Bytea>,
    }
}

diesel::table! {
    case_aliases (alias) {
        alias -> Text,
        case_id -> Uuid,
        import_id -> Uuid,
    }
}

diesel::joinable!(case_import_files -> case_imports (import_id));
diesel::joinable!(case_aliases -> cases (case_id));

diesel::allow_tables_to_appear_in_same_query!(
    actions,
    agencies,
    api_clients,
    asks,
    audit_chain,
    audit_checkpoints,
    audit_details,
    audit_pending,
    audit_records,
    calendar_feeds,
    case_events,
    challenge_cases,
    challenge_decisions,
    challenges,
    case_team,
    cases,
    deadlines,
    enrolments,
    forum_bundles,
    forum_networks,
    idempotency_keys,
    inbox_links,
    interventions,
    issued_tokens,
    meeting_notes,
    subject_access_requests,
    case_imports,
    case_import_files,
    case_aliases,
    agency_identity_providers,
    oidc_sign_ins,
    meetings,
    needs,
    outcome_interventions,
    outbox,
    outcomes,
    recovery_codes,
    rule_book_applied,
    sessions,
    sign_in_failures,
    users,
    webhook_endpoints,
);
