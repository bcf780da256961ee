"""Files shipped with the package: the face-landmark model and the preset avatars."""
