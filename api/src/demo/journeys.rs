//! A person's journey through the NRM, drawn from the published shape of it.

use chrono::{Duration, NaiveDate};
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::case::NrmConsent;
use fourthp_domain::event::{ClosureReason, CompetentAuthority, DecisionOutcome, DisqualificationGround, Fact};
use fourthp_domain::need::NeedDomain;
use uuid::Uuid;

use super::network::Agencies;
use super::rng::Rng;

/// One event to be, before it is checked.
pub(super) struct Planned {
    pub fact: Fact,
    pub date: NaiveDate,
}

/// A person's journey through the NRM, drawn from the published shape of it.
pub(super) fn plan_events(
    r: &mut Rng,
    start: NaiveDate,
    today: NaiveDate,
    child: bool,
    consent: NrmConsent,
    agencies: &Agencies,
) -> Vec<Planned> {
    let mut out = vec![Planned { fact: Fact::SupportStarted, date: start }];
    let days = |d: i64| Duration::days(d);
    let first_responder = {
        let kind = if child {
            r.weighted(&[(AgencyKind::LocalAuthorityChildrensServices, 50), (AgencyKind::Police, 40), (AgencyKind::Ngo, 10)])
        } else {
            r.weighted(&[
                (AgencyKind::Police, 40),
                (AgencyKind::LocalAuthorityAdultSocialCare, 20),
                (AgencyKind::Ngo, 20),
                (AgencyKind::RedCross, 5),
                (AgencyKind::ImmigrationHomeOffice, 15),
            ])
        };
        agencies.one(kind, r).or_else(|| agencies.one(AgencyKind::Police, r))
    };
    let close = |out: &mut Vec<Planned>, date: NaiveDate, reason: ClosureReason| {
        if date <= today {
            out.push(Planned { fact: Fact::CaseClosed { reason }, date });
        }
    };
    if consent == NrmConsent::Declined {
        let dtn = start + days(r.range(0, 10));
        if dtn > today {
            return out;
        }
        out.push(Planned { fact: Fact::DutyToNotifySubmitted, date: dtn });
        let reason = r.weighted(&[(ClosureReason::DeclinedSupport, 50), (ClosureReason::MovedOn, 35), (ClosureReason::LostContact, 15)]);
        close(&mut out, dtn + days(r.range(20, 150)), reason);
        return out;
    }
    let Some(first_responder) = first_responder.map(fourthp_domain::ids::AgencyId::from_uuid) else {
        return out;
    };
    // A few people are supported without ever being referred (yet).
    if r.chance(0.03) {
        return out;
    }
    let referral = start + days(r.range(0, 14));
    if referral > today {
        return out;
    }
    out.push(Planned { fact: Fact::NrmReferralSubmitted { first_responder }, date: referral });
    let authority = |r: &mut Rng| {
        if child && r.chance(0.25) {
            CompetentAuthority::DevolvedChildPilot
        } else if r.chance(0.15) {
            CompetentAuthority::Ieca
        } else {
            CompetentAuthority::Sca
        }
    };
    let mut rg_date = referral
        + days(match r.below(100) {
            0..=34 => r.range(1, 7),
            35..=74 => r.range(8, 30),
            _ => r.range(31, 120),
        });
    let mut positive = r.chance(0.88);
    // Early losses of contact, before a decision.
    if r.chance(0.05) {
        close(&mut out, referral + days(r.range(5, 60)), ClosureReason::LostContact);
        return out;
    }
    if rg_date > today {
        return out;
    }
    let outcome = |p: bool| if p { DecisionOutcome::Positive } else { DecisionOutcome::Negative };
    out.push(Planned { fact: Fact::ReasonableGroundsDecision { outcome: outcome(positive), authority: authority(r) }, date: rg_date });
    if !positive {
        if r.chance(0.4) {
            let asked = rg_date + days(r.range(5, 20));
            if asked > today {
                return out;
            }
            out.push(Planned { fact: Fact::ReconsiderationRequested, date: asked });
            rg_date = asked + days(r.range(20, 90));
            if rg_date > today {
                return out;
            }
            positive = r.chance(0.6);
            out.push(Planned {
                fact: Fact::ReasonableGroundsDecision { outcome: outcome(positive), authority: authority(r) },
                date: rg_date,
            });
        }
        if !positive {
            close(&mut out, rg_date + days(r.range(9, 30)), ClosureReason::Other);
            return out;
        }
    }
    if r.chance(0.25) {
        let d = rg_date + days(r.range(20, 45));
        if d <= today {
            out.push(Planned { fact: Fact::RecoveryNeedsAssessmentSubmitted, date: d });
        }
    }
    if r.chance(0.005) {
        let d = rg_date + days(r.range(30, 200));
        if d <= today {
            out.push(Planned { fact: Fact::Disqualified { ground: DisqualificationGround::PublicOrder }, date: d });
            close(&mut out, d + days(r.range(9, 30)), ClosureReason::Other);
        }
        return out;
    }
    // Some leave before a conclusive decision.
    if r.chance(0.12) {
        let reason = r.weighted(&[
            (ClosureReason::LostContact, 50),
            (ClosureReason::Transferred, 20),
            (ClosureReason::ReturnedHome, 15),
            (ClosureReason::DeclinedSupport, 15),
        ]);
        close(&mut out, rg_date + days(r.range(30, 500)), reason);
        return out;
    }
    // Conclusive grounds: months to years (waits have averaged over 500 days).
    let wait = 60 + (r.unit() * r.unit() * 1100.0) as i64 + r.range(0, 300);
    let cg_date = rg_date + days(wait);
    if cg_date > today {
        return out;
    }
    let cg_positive = r.chance(0.86);
    out.push(Planned { fact: Fact::ConclusiveGroundsDecision { outcome: outcome(cg_positive), authority: authority(r) }, date: cg_date });
    if cg_positive {
        if r.chance(0.85) {
            close(&mut out, cg_date + days(r.range(30, 90)), ClosureReason::MovedOn);
        }
    } else {
        close(&mut out, cg_date + days(r.range(9, 30)), ClosureReason::Other);
    }
    out
}

/// A need to be, with when it is met (if it is).
pub(super) struct NeedPlan {
    pub id: Uuid,
    pub domain: NeedDomain,
    pub identified_on: NaiveDate,
    pub met_on: Option<NaiveDate>,
}
