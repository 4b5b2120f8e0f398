//! The demo network for `fourthp demo-data` and `fourthp serve --demo`: its records, and for
//! serving, an account of each role already enrolled, to sign in with at once.

use super::*;

pub(super) async fn demo_data(config: Config, opts: DemoOptions) -> Result<(), String> {
    init_logging(config.log_format);
    let book = config.rule_book()?;
    let (url, cluster) = database(&config).await?;
    let result = async {
        migrate_url(&url, &book).await?;
        let s = demo::load(&url, &book, opts, Utc::now()).await?;
        println!(
            "loaded {} cases, {} events, {} needs, {} interventions, {} actions, {} deadlines and {} outcomes with {} agencies in {:.1} s",
            s.cases, s.events, s.needs, s.interventions, s.actions, s.deadlines, s.outcomes, s.agencies, s.seconds
        );
        Ok(())
    }
    .await;
    stop(cluster).await?;
    result
}

/// A demo account, signed in to with what is printed at start-up.
pub(super) struct DemoAccount {
    pub(super) role: Role,
    pub(super) email: String,
    pub(super) password: String,
    pub(super) totp_secret: String,
}

/// Loads a small demo network into an empty database, and gives each role a demo account with
/// a fresh password and authenticator key (an account there already is reset, so what is
/// printed is what works).
pub(super) async fn demo_for_serve(config: &Config, url: &str, book: &fourthp_domain::rules::RuleBook) -> Result<Vec<DemoAccount>, String> {
    let db = fourthp_persistence::bulk::BulkLoader::connect(url).await.map_err(|e| e.to_string())?;
    let empty = db.count("SELECT count(*) FROM cases").await.map_err(|e| e.to_string())? == 0;
    if empty {
        let opts = DemoOptions { cases: 400, seed: 1, from_year: Utc::now().year() - 2, progress: false };
        let s = demo::load(url, book, opts, Utc::now()).await?;
        tracing::info!(cases = s.cases, interventions = s.interventions, "demo network loaded");
    }
    let vcc = AgencyId::from_uuid(demo::coordinator_agency(&db).await?);
    let pool = connect(url, 1, config.db_wait).map_err(|e| e.to_string())?;
    let gp = db
        .pairs("SELECT id::text, name FROM agencies WHERE kind = 'health_gp' ORDER BY name LIMIT 1")
        .await
        .map_err(|e| e.to_string())?
        .first()
        .and_then(|(id, _)| AgencyId::parse(id).ok());
    let accounts = config.accounts();
    let mut out = Vec::new();
    for (role, agency, name) in [
        (Role::Coordinator, Some(vcc), "Demo Coordinator"),
        (Role::Partner, gp, "Demo GP Practice Manager"),
        (Role::Commissioner, None, "Demo Commissioner"),
        (Role::Auditor, None, "Demo Auditor"),
        (Role::Admin, None, "Demo Administrator"),
    ] {
        out.push(demo_account(&pool, &accounts, role, agency, name).await?);
    }
    Ok(out)
}

/// Creates (or resets) the demo account of `role` and enrols it: a random password and a new
/// TOTP key, usable at once.
async fn demo_account(
    pool: &fourthp_persistence::Db,
    accounts: &crate::state::Accounts,
    role: Role,
    agency: Option<AgencyId>,
    name: &str,
) -> Result<DemoAccount, String> {
    use crate::credentials::{self, recovery, totp};
    use fourthp_domain::account::{DisplayName, Email, NewUser};
    use fourthp_persistence::users;
    let ctx = cli_context("serve-demo")?;
    let email = format!("{}@demo.fourthp.example", role.as_str());
    let (_, link) = crate::app::users::new_enrolment_link(&accounts.public_url, 1, ctx.at).map_err(|e| e.to_string())?;
    let existing = fourthp_persistence::sessions::sign_in_facts(pool, &email).await.map_err(|e| e.to_string())?;
    let user = match existing {
        Some(f) => {
            users::reset(pool, &ctx, f.user.id, &link).await.map_err(|e| e.to_string())?;
            f.user.id
        }
        None => {
            let new = NewUser::new(
                Email::parse(&email).map_err(|e| e.to_string())?,
                DisplayName::parse(name).map_err(|e| e.to_string())?,
                role,
                agency,
            )
            .map_err(|e| e.to_string())?;
            users::create(pool, &ctx, new, &link).await.map_err(|e| e.to_string())?.id
        }
    };
    let password: String = credentials::random_token().map_err(|e| e.to_string())?.chars().take(20).collect();
    let hash = credentials::hash_password(&password, accounts.pepper.as_deref())?;
    let secret = totp::new_secret().map_err(|e| e.to_string())?;
    let codes: Vec<Vec<u8>> = (0..recovery::COUNT)
        .map(|_| recovery::new_code().map(|c| recovery::hash(&c)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    users::set_pending(pool, &link.token_hash, &hash, &secret, &codes).await.map_err(|e| e.to_string())?;
    // Confirmed as of two steps ago: the code the app shows now is accepted.
    let step = totp::step_of(ctx.at.timestamp()) - 2;
    users::complete(pool, &ctx, &link.token_hash, user, step).await.map_err(|e| e.to_string())?;
    Ok(DemoAccount { role, email, password, totp_secret: totp::base32(&secret) })
}
