DROP TABLE forum_bundles;
DROP TABLE forum_networks;
