DROP TABLE issued_tokens;
DROP TABLE api_clients;
DROP TABLE sign_in_failures;
DROP TABLE sessions;
DROP TABLE recovery_codes;
DROP TABLE enrolments;
DROP TABLE users;
