"""The back office keeps no tables of its own: it works on the records of the apps below it.

(The module exists so that Django sends this app's post_migrate signal, which creates the staff
groups once every app's permissions are there.)"""
