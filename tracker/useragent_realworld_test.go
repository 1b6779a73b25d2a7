package tracker

import (
	"testing"

	"github.com/clickedge/clickedge/store"
)

// realWorldAgents are agents seen in real click traffic (browsers, in-app
// browsers, web views, TVs, desktops, link-preview bots and crawlers), with
// what the edge should read from each: the platform that picks the store,
// the OS major.minor fingerprinting compares, and whether it is a bot.
var realWorldAgents = []struct {
	ua       string
	platform store.Platform
	os       string
	bot      bool
}{
	// --- Android browsers ---
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, "", false},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", store.PlatformAndroid, "", false},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, "", false},
	{"Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/21.0 Chrome/110.0.5481.154 Mobile Safari/537.36", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Android 15; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", store.PlatformAndroid, "15", false},
	{"Mozilla/5.0 (Android 14; Tablet; rv:128.0) Gecko/128.0 Firefox/128.0", store.PlatformAndroid, "14", false},
	{"Mozilla/5.0 (Android 9; Mobile; rv:68.0) Gecko/68.0 Firefox/68.0", store.PlatformAndroid, "9", false},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0", store.PlatformAndroid, "", false},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0", store.PlatformAndroid, "", false},
	{"Opera/9.80 (Android; Opera Mini/7.5.54678/191.330; U; en) Presto/2.12.423 Version/12.16", store.PlatformAndroid, "", false},
	{"Mozilla/5.0 (Linux; U; Android 12; SM-A125F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36 OPR/79.0.2254.70776", store.PlatformAndroid, "12", false},
	{"Mozilla/5.0 (Linux; U; Android 11; en-US; RMX2185 Build/RP1A.201005.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/13.4.0.1306 Mobile Safari/537.36", store.PlatformAndroid, "11", false},
	{"Mozilla/5.0 (Linux; U; Android 13; en-in; 22101316I Build/TP1A.220624.014) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.5.11-gn", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-NX9; HMSCore 6.12.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/14.0.4.300 Mobile Safari/537.36", store.PlatformAndroid, "10", false},
	{"Mozilla/5.0 (Linux; arm_64; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 YaBrowser/24.1.5.80.00 SA/3 Mobile Safari/537.36", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 13; V2203 Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/101.0.4951.61 Mobile Safari/537.36 VivoBrowser/13.0.0.0", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; U; Android 12; zh-cn; PEGM00 Build/SKQ1.211019.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/97.0.4692.98 Mobile Safari/537.36 HeyTapBrowser/40.8.10.1", store.PlatformAndroid, "12", false},
	{"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile DuckDuckGo/5 Safari/537.36", store.PlatformAndroid, "14", false},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 Brave/1", store.PlatformAndroid, "", false},
	{"Mozilla/5.0 (Linux; Android 8.1.0; Redmi 6A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, "8.1", false},
	{"Mozilla/5.0 (Linux; Android 7.1.2; Redmi 4X) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/95.0.4638.74 Mobile Safari/537.36", store.PlatformAndroid, "7.1", false},
	{"Mozilla/5.0 (Linux; Android 6.0.1; SM-J700F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.141 Mobile Safari/537.36", store.PlatformAndroid, "6.0", false},
	{"Mozilla/5.0 (Linux; Android 5.1.1; SM-J200G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Mobile Safari/537.36", store.PlatformAndroid, "5.1", false},
	{"Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.4.1 like Chrome/120.0.6099.230 Safari/537.36", store.PlatformAndroid, "11", false},
	{"Mozilla/5.0 (Linux; Android 11; BRAVIA 4K VH2 Build/RTT2.220118.002.S130) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.193 Safari/537.36", store.PlatformAndroid, "11", false},
	{"Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7633; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.196 Mobile Safari/537.36", store.PlatformAndroid, "9", false},
	{"Mozilla/5.0 (Linux; Android 16; Pixel 9 Pro Build/BP2A.250605.031; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/137.0.7151.115 Mobile Safari/537.36", store.PlatformAndroid, "16", false},
	{"Mozilla/5.0 (Linux; Android 12; moto g(30)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 Mobile Safari/537.36", store.PlatformAndroid, "12", false},
	{"Mozilla/5.0 (Linux; Android 11; Infinix X6816) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.104 Mobile Safari/537.36", store.PlatformAndroid, "11", false},
	{"Mozilla/5.0 (Linux; Android 12; TECNO KG5k) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/102.0.0.0 Mobile Safari/537.36", store.PlatformAndroid, "12", false},
	{"Mozilla/5.0 (Linux; Android 10; CUBOT KINGKONG 5 Pro Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36", store.PlatformAndroid, "10", false},

	// --- Android in-app browsers and web views ---
	{"Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36", store.PlatformAndroid, "14", false},
	{"Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/462.0.0.46.83;]", store.PlatformAndroid, "14", false},
	{"Mozilla/5.0 (Linux; Android 13; M2101K6G Build/TKQ1.221013.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.43 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/452.0.0.35.109;]", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 11; RMX2189 Build/RP1A.200720.011; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FBAN/EMA;FBLC/en_US;FBAV/400.0.0.11.115;]", store.PlatformAndroid, "11", false},
	{"Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36 Instagram 337.0.0.35.102 Android (34/14; 450dpi; 1080x2340; Google/google; Pixel 8; shiba; shiba; en_US; 614197612)", store.PlatformAndroid, "14", false},
	{"Mozilla/5.0 (Linux; Android 9; Eluga I8 Build/PPR1.180610.011; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36 Instagram 340.0.0.14.109 Android (28/9; 320dpi; 720x1371; PANASONIC/Panasonic; Eluga I8; Eluga_I8; mt6765; en_IN; 622085927)", store.PlatformAndroid, "9", false},
	{"Mozilla/5.0 (Linux; Android 13; SM-A525F Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 musical_ly_2023209030 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/32.9.3 ByteLocale/en ByteFullLocale/en Region/US AppId/1233 Spark/1.4.6.3-bugfix AppVersion/32.9.3 BytedanceWebview/d8a21c6", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 12; 2201117TG Build/SKQ1.211006.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.5845.114 Mobile Safari/537.36 trill_2023004030 JsSdk/1.0 NetType/4G Channel/googleplay AppName/trill app_version/30.4.3 ByteLocale/vi ByteFullLocale/vi Region/VN BytedanceWebview/d8a21c6", store.PlatformAndroid, "12", false},
	{"Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 Snapchat/12.71.0.39 (like Safari/604.1)", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 [LinkedInApp]/4.1.953", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 [Pinterest/Android]", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 Line/13.19.1/IAB", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 12; V2111A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5169 MMWEBSDK/20230504 MMWEBID/7745 MicroMessenger/8.0.37.2380(0x28002537) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64", store.PlatformAndroid, "12", false},
	{"Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36 GSA/15.31.38.29.arm64", store.PlatformAndroid, "14", false},
	{"Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 KAKAOTALK 10.4.5", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 NAVER(inapp; search; 2000; 12.3.6)", store.PlatformAndroid, "13", false},
	{"Mozilla/5.0 (Linux; Android 14; I2208 Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.196 Mobile Safari/537.36 csh-cashify-flutter csh-store-checkout d2c-back-supported", store.PlatformAndroid, "14", false},
	{"Mozilla/5.0 (Linux; Android 10; STK-L21 Build/HUAWEISTK-L21; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.186 Mobile Safari/537.36HiSearch/22.0.6.315", store.PlatformAndroid, "10", false},
	{"Telegram-Android/10.2.0 (Samsung SM-G991B; Android 13; SDK 33; AVERAGE)", store.PlatformAndroid, "13", false},
	{"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019)", store.PlatformAndroid, "14", false},
	{"okhttp/4.12.0", store.PlatformUnknown, "", false},
	// Logicom (a French brand) names phones and tablets "… bot …"; their
	// web views (every in-app browser) carry the model.
	{"Mozilla/5.0 (Linux; Android 7.0; M bot 60 Build/NRD90M; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/67.0.3396.87 Mobile Safari/537.36", store.PlatformAndroid, "7.0", false},
	{"Mozilla/5.0 (Linux; Android 7.1.1; M_bot_tab_1150 Build/N9F27F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.87 Safari/537.36", store.PlatformAndroid, "7.1", false},
	{"Mozilla/5.0 (Linux; Android 6.0; IDbot553 Build/MRA58K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/59.0.3071.125 Mobile Safari/537.36", store.PlatformAndroid, "6.0", false},
	{"Mozilla/5.0 (Linux; Android 6.0; B BOT 550 Build/MRA58K; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/53.0.2785.124 Mobile Safari/537.36", store.PlatformAndroid, "6.0", false},
	{"Mozilla/5.0 (Linux; Android 6.0.1; M BOT TAB 101 Build/MOB30R) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0.2840.85 Safari/537.36", store.PlatformAndroid, "6.0", false},

	// --- Not Android though the agent says so ---
	// KaiOS feature phones (JioPhone) say ";Android;" and run no Android
	// apps: no Play Store.
	{"Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Mobile; LYF/F61F/LYF-F61F-000-02-31-041019;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Mobile; Nokia_8110_4G; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Mobile; Nokia 2780 Flip; rv:84.0) Gecko/84.0 Firefox/84.0 KAIOS/3.1", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Phone; OpenHarmony 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1 Mobile HuaweiBrowser/5.0.4.300", store.PlatformUnknown, "", false},

	// --- iOS / iPadOS ---
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1", store.PlatformIOS, "18.1", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1", store.PlatformIOS, "26.1", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/142.0.7444.77 Mobile/15E148 Safari/604.1", store.PlatformIOS, "26.1", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", store.PlatformIOS, "18.1", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/129.0 Mobile/15E148 Safari/605.1.15", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/131.0.2903.68 Mobile/15E148 Safari/605.1.15", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 16_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1 OPT/4.3.2", store.PlatformIOS, "16.6", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/343.0.695551749 Mobile/15E148 Safari/604.1", store.PlatformIOS, "18.1", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/457.0.0.46.106;FBBV/583004296;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/585282735]", store.PlatformIOS, "17.4", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/488.0.0.49.109;FBBV/664384567;FBDV/iPhone14,7;FBMD/iPhone;FBSN/iOS;FBSV/18.1;FBSS/3;FBCR/;FBID/phone;FBLC/en_GB;FBOP/80]", store.PlatformIOS, "18.1", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21F90 [FBAN/FBPageAdmin;FBAV/400.0.0.21.108;FBBV/620787505;FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;FBSV/17.5.1;FBSS/3;FBID/phone;FBLC/en_GB;FBOP/5;FBRV/0]", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 310.0.3.19.88 (iPhone14,2; iOS 17_2_1; en_US; en-US; scale=3.00; 1170x2532; 543246052)", store.PlatformIOS, "17.2", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_35.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US ByteFullLocale/en isDarkMode/0 WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/13.0.0.41 (like Safari/604.1)", store.PlatformIOS, "17.4", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.19", store.PlatformIOS, "17.2", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.8960", store.PlatformIOS, "17.3", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]", store.PlatformIOS, "17.2", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.0.0", store.PlatformIOS, "17.2", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x1800282a) NetType/WIFI Language/zh_CN", store.PlatformIOS, "16.6", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/605.1 NAVER(inapp; search; 2000; 12.3.6; 14PRO)", store.PlatformIOS, "17.2", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Version/17.5.1 Safari/605.1.15 (AirWatch Browser v24.06)", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.4.5", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1", store.PlatformIOS, "17.5", false},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 300.0.0.15.103 (iPad13,4; iPadOS 17_1; en_US; en-US; scale=2.00; 1668x2388; 517570473)", store.PlatformIOS, "17.1", false},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1", store.PlatformIOS, "12.5", false},
	{"Instagram/310.0 CFNetwork/1496.0.7 Darwin/23.5.0", store.PlatformIOS, "", false},
	{"TestApp/3.1 (iPhone; iOS 26.3; Scale/3.00)", store.PlatformIOS, "26.3", false},

	// --- Desktops, TVs, consoles: the web URL ---
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (SMART-TV; LINUX; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edge/44.18363.8131", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.91 Electron/33.0.2 Safari/537.36 Sonic Slack_SSB/4.41.105", store.PlatformUnknown, "", false},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9163 Chrome/124.0.6367.243 Electron/30.2.0 Safari/537.36", store.PlatformUnknown, "", false},
	// HTTP libraries: not bots, by the README's choice.
	{"curl/8.4.0", store.PlatformUnknown, "", false},
	{"Wget/1.21.4", store.PlatformUnknown, "", false},
	{"python-requests/2.31.0", store.PlatformUnknown, "", false},
	{"Go-http-client/1.1", store.PlatformUnknown, "", false},

	// --- Link-preview bots and crawlers ---
	{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0", store.PlatformUnknown, "", true},
	{"facebookexternalhit/1.1;line-poker/1.0", store.PlatformUnknown, "", true},
	{"facebookexternalhit/1.1; kakaotalk-scrap/1.0; +https://devtalk.kakao.com/t/scrap/33984", store.PlatformUnknown, "", true},
	{"Twitterbot/1.0", store.PlatformUnknown, "", true},
	{"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", store.PlatformUnknown, "", true},
	{"Slack-ImgProxy (+https://api.slack.com/robots)", store.PlatformUnknown, "", true},
	{"WhatsApp/2.23.20.0 A", store.PlatformUnknown, "", true},
	{"WhatsApp/2.2343.5 i", store.PlatformUnknown, "", true},
	{"WhatsApp/2.17.152 W", store.PlatformUnknown, "", true},
	{"TelegramBot (like TwitterBot)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", store.PlatformUnknown, "", true},
	{"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Safari/537.36 Edg/116.0.1938.76 MicrosoftPreview/2.0 +https://aka.ms/MicrosoftPreview", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", store.PlatformAndroid, "6.0", true},
	{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", store.PlatformUnknown, "", true},
	{"AdsBot-Google (+http://www.google.com/adsbot.html)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; AdsBot-Google-Mobile; +http://www.google.com/mobile/adsbot.html)", store.PlatformAndroid, "6.0", true},
	{"Mediapartners-Google", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.69 Safari/537.36", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", store.PlatformAndroid, "11", true},
	{"Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", store.PlatformUnknown, "", true},
	{"Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)", store.PlatformAndroid, "5.0", true},
	{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Windows NT 6.1; rv:6.0) Gecko/20110814 Firefox/6.0 Google (+https://developers.google.com/+/web/snippet/)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (compatible; Google-Apps-Script; beanserver; +https://script.google.com; id: UAEmdDd-abc)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)", store.PlatformUnknown, "", true},
	{"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; GoogleOther)", store.PlatformAndroid, "6.0", true},
}

func TestRealWorldUserAgents(t *testing.T) {
	for _, tc := range realWorldAgents {
		p, os := ParseUserAgent([]byte(tc.ua))
		bot := IsBot([]byte(tc.ua))
		if p != tc.platform || string(os) != tc.os || bot != tc.bot {
			t.Errorf("%q\n got %v %q bot=%v, want %v %q bot=%v", tc.ua, p, os, bot, tc.platform, tc.os, tc.bot)
		}
	}
}
