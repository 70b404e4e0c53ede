// Camera and secret id syntax.
#include <gtest/gtest.h>

#include <string>

#include "camrelay/ids.hpp"

using namespace camrelay;

TEST(CameraId, Valid) {
    for (const char* ok : {"cam1", "a", "0", "front-door", "a-b-c", "123"}) EXPECT_TRUE(valid_camera_id(ok)) << ok;
    EXPECT_TRUE(valid_camera_id(std::string(63, 'a')));
}

TEST(CameraId, Invalid) {
    for (const char* bad :
         {"",     "Cam1", "CAM",  "cam/1", "/",     "..",    ".",     "cam.1",       "%2f",  "cam%2f1", "cam 1",
          " cam", "-cam", "cam-", "-",     "cam_1", "cam\t", "cam\n", "caf\xc3\xa9", "cam?", "cam#",    "cam\\1"})
        EXPECT_FALSE(valid_camera_id(bad)) << bad;
    EXPECT_FALSE(valid_camera_id(std::string(64, 'a')));
    EXPECT_FALSE(valid_camera_id(std::string_view("ca\0m", 4)));
}

TEST(SecretId, ValidAndInvalid) {
    for (const char* ok : {"s1", "A_b-9", "2024-01", "_"}) EXPECT_TRUE(valid_secret_id(ok)) << ok;
    EXPECT_TRUE(valid_secret_id(std::string(32, 'Z')));
    EXPECT_FALSE(valid_secret_id(std::string(33, 'Z')));
    for (const char* bad : {"", "s.1", "s 1", "s/1", "s=1", "s%1", "s\n"}) EXPECT_FALSE(valid_secret_id(bad)) << bad;
}
