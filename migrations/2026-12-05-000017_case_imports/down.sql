DROP TABLE case_aliases;
DROP TABLE case_import_files;
DROP TABLE case_imports;
