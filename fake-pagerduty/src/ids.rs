//! Stable IDs of the fixed organisation (they do not depend on the seed or on `now`).
//!
//! Incident IDs depend on the seed: find them through [`crate::Dataset`] accessors.

/// Team "Data".
pub const TEAM_DATA: &str = "PHBIEBV";
/// Team "Mobile".
pub const TEAM_MOBILE: &str = "P5PWDPT";
/// Team "Payments".
pub const TEAM_PAYMENTS: &str = "PU3513M";
/// Team "Platform".
pub const TEAM_PLATFORM: &str = "PD9Q2HX";
/// Team "Security".
pub const TEAM_SECURITY: &str = "P1JZTVO";
/// Team "Support".
pub const TEAM_SUPPORT: &str = "PLPCAIK";

/// Service "Analytics Warehouse".
pub const SERVICE_ANALYTICS_WAREHOUSE: &str = "PJIDHOI";
/// Service "API Gateway".
pub const SERVICE_API_GATEWAY: &str = "PLA4VTH";
/// Service "Billing Worker".
pub const SERVICE_BILLING_WORKER: &str = "PBZQ1S0";
/// Service "Checkout Web".
pub const SERVICE_CHECKOUT_WEB: &str = "P3T2B4B";
/// Service "CI/CD Pipeline".
pub const SERVICE_CI_CD_PIPELINE: &str = "PCVELH0";
/// Service "Data Pipeline".
pub const SERVICE_DATA_PIPELINE: &str = "PO17OGZ";
/// Service "Identity Provider".
pub const SERVICE_IDENTITY_PROVIDER: &str = "PB8A1JC";
/// Service "Kubernetes Platform".
pub const SERVICE_KUBERNETES_PLATFORM: &str = "P2IYC53";
/// Service "Mobile Backend".
pub const SERVICE_MOBILE_BACKEND: &str = "P0N8HKL";
/// Service "Payments API".
pub const SERVICE_PAYMENTS_API: &str = "PEU07SP";
/// Service "Push Notifications".
pub const SERVICE_PUSH_NOTIFICATIONS: &str = "PID3I3T";
/// Service "Support Portal".
pub const SERVICE_SUPPORT_PORTAL: &str = "P4KJZEE";

/// Escalation policy "Checkout Critical".
pub const POLICY_CHECKOUT_CRITICAL: &str = "P83V9TC";
/// Escalation policy "Data Pipeline Escalation".
pub const POLICY_DATA_PIPELINE_ESCALATION: &str = "PNDZLYO";
/// Escalation policy "Infrastructure Critical".
pub const POLICY_INFRASTRUCTURE_CRITICAL: &str = "PGRL7OW";
/// Escalation policy "Mobile On-Call".
pub const POLICY_MOBILE_ON_CALL: &str = "PWU0NQQ";
/// Escalation policy "Payments On-Call".
pub const POLICY_PAYMENTS_ON_CALL: &str = "P8YBVHX";
/// Escalation policy "Platform On-Call".
pub const POLICY_PLATFORM_ON_CALL: &str = "PTC3CDO";
/// Escalation policy "Security Incident Response".
pub const POLICY_SECURITY_INCIDENT_RESPONSE: &str = "P57LKNK";
/// Escalation policy "Support Escalation".
pub const POLICY_SUPPORT_ESCALATION: &str = "P57MR5O";

/// Schedule "Data Engineering".
pub const SCHEDULE_DATA_ENGINEERING: &str = "PS3FIFQ";
/// Schedule "Mobile On-Call".
pub const SCHEDULE_MOBILE_ON_CALL: &str = "P2GZBC9";
/// Schedule "Payments Primary".
pub const SCHEDULE_PAYMENTS_PRIMARY: &str = "P3K877Z";
/// Schedule "Payments Secondary".
pub const SCHEDULE_PAYMENTS_SECONDARY: &str = "PVNUFAM";
/// Schedule "Platform Primary".
pub const SCHEDULE_PLATFORM_PRIMARY: &str = "PKQVRRY";
/// Schedule "Platform Secondary".
pub const SCHEDULE_PLATFORM_SECONDARY: &str = "PXXEGQZ";
/// Schedule "Security Response".
pub const SCHEDULE_SECURITY_RESPONSE: &str = "PX95DW5";
/// Schedule "Support Business Hours".
pub const SCHEDULE_SUPPORT_BUSINESS_HOURS: &str = "PT9B48Z";

/// User Aisha Khan <aisha.khan@example.com> (Payments).
pub const USER_AISHA_KHAN: &str = "PBQUMKU";
/// User Ben Carter <ben.carter@example.com> (no team).
pub const USER_BEN_CARTER: &str = "PS2X5LJ";
/// User Chloe Martin <chloe.martin@example.com> (Mobile).
pub const USER_CHLOE_MARTIN: &str = "PUIE93B";
/// User Daniel Novak <daniel.novak@example.com> (Payments).
pub const USER_DANIEL_NOVAK: &str = "PDQT8GF";
/// User Diego Fernandez <diego.fernandez@example.com> (Support).
pub const USER_DIEGO_FERNANDEZ: &str = "PXJ0AJN";
/// User Emma Johansson <emma.johansson@example.com> (Payments).
pub const USER_EMMA_JOHANSSON: &str = "PZ9HK3M";
/// User Ethan Park <ethan.park@example.com> (Data).
pub const USER_ETHAN_PARK: &str = "PNH1M9G";
/// User Grace Liu <grace.liu@example.com> (Security).
pub const USER_GRACE_LIU: &str = "PP2ITO8";
/// User Hannah Okafor <hannah.okafor@example.com> (Platform).
pub const USER_HANNAH_OKAFOR: &str = "PWWEHPI";
/// User Isabel Costa <isabel.costa@example.com> (Security).
pub const USER_ISABEL_COSTA: &str = "PXTLDUQ";
/// User Jordan Lee <jordan.lee@example.com> (Payments).
pub const USER_JORDAN_LEE: &str = "PNW0TOG";
/// User Kenji Sato <kenji.sato@example.com> (Mobile).
pub const USER_KENJI_SATO: &str = "PEE8LOG";
/// User Laura Fischer <laura.fischer@example.com> (Data).
pub const USER_LAURA_FISCHER: &str = "PJ3H3LM";
/// User Lukas Schmidt <lukas.schmidt@example.com> (Platform, Security).
pub const USER_LUKAS_SCHMIDT: &str = "PZ7TIL5";
/// User Marcus Chen <marcus.chen@example.com> (Platform).
pub const USER_MARCUS_CHEN: &str = "PD6TBSU";
/// User Mateo Rossi <mateo.rossi@example.com> (Mobile).
pub const USER_MATEO_ROSSI: &str = "P1DX1ZA";
/// User Mei Tanaka <mei.tanaka@example.com> (Support).
pub const USER_MEI_TANAKA: &str = "PDSZVFK";
/// User Nina Petrova <nina.petrova@example.com> (Mobile).
pub const USER_NINA_PETROVA: &str = "PAVWZKY";
/// User Noah Wilson <noah.wilson@example.com> (Support).
pub const USER_NOAH_WILSON: &str = "P02ODKW";
/// User Olivia Brown <olivia.brown@example.com> (Mobile).
pub const USER_OLIVIA_BROWN: &str = "PNTCTIS";
/// User Omar Haddad <omar.haddad@example.com> (Security).
pub const USER_OMAR_HADDAD: &str = "PH1M5ZH";
/// User Priya Natarajan <priya.natarajan@example.com> (Platform).
pub const USER_PRIYA_NATARAJAN: &str = "PGDTHUV";
/// User Ravi Menon <ravi.menon@example.com> (Payments).
pub const USER_RAVI_MENON: &str = "PNTKRNX";
/// User Samuel Adeyemi <samuel.adeyemi@example.com> (Data).
pub const USER_SAMUEL_ADEYEMI: &str = "PC0A5OR";
/// User Sarah Cohen <sarah.cohen@example.com> (Support).
pub const USER_SARAH_COHEN: &str = "P0MGY62";
/// User Sofia Alvarez <sofia.alvarez@example.com> (Platform).
pub const USER_SOFIA_ALVAREZ: &str = "PNAS2ML";
/// User Tom Becker <tom.becker@example.com> (Platform, Data).
pub const USER_TOM_BECKER: &str = "PB7RCOH";
/// User Victoria Hayes <victoria.hayes@example.com> (no team).
pub const USER_VICTORIA_HAYES: &str = "PHD2FGT";
/// User Zoe Williams <zoe.williams@example.com> (Data).
pub const USER_ZOE_WILLIAMS: &str = "P798LWX";
