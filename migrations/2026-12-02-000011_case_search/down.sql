DROP INDEX cases_reference_prefix;
